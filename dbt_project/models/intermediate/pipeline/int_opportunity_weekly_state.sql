{#-
    The as-of spine: each opportunity's state at the end of every week end it was
    open at, plus the week end of the week it closed, rebuilt from the audit log rather
    than from snapshots taken when the warehouse happened to run.  The pipeline marts
    and the forecast marts both read it.

    "As of week end W" means at the end of day W (UTC): the latest change made before
    W + 1 day 00:00.  The stage is the stage history's visit in force
    (int_opportunity_stage_visits: time in stage and the weekly state agree);
    the other fields are int_opportunity_changes' latest value.  The spine ends at the
    week end of the latest thing the opportunity exports recorded (int_as_of),
    so the latest week end shows the state the current records show.

    Set-based: the changes become intervals of constant state (one row per
    opportunity per instant something changed), and each interval is joined to the
    week ends it spans.  Only open intervals span several week ends; a closed one
    gives at most the week it closed in, so the spine grows with open pipeline, not
    with history x opportunities.
-#}
{%- set as_of_fields = {
    'amount': 'amount',
    'date_closed': 'close_date',
    'commit_stage': 'commit_stage',
    'assigned_user_id': 'owner_user_id',
} -%}

with

opportunities as (

    select * from {{ ref('stg_sugarcrm__opportunities') }}

),

changes as (

    select * from {{ ref('int_opportunity_changes') }}

),

stage_visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}

),

history_sources as (

    select distinct opportunity_id, history_source from changes

),

stage_map as (

    select * from {{ ref('stg_vocabulary__stage_map') }}

),

forecast_category_map as (

    select * from {{ ref('stg_vocabulary__forecast_category_map') }}

),

-- The qualified pipeline starts at the stage map's sql stage (docs/domain.md: the funnel).
qualified_stage as (

    select min(stage_order) as sql_stage_order
    from stage_map
    where milestone = 'sql'

),

spine_end as (

    select last_week_end from {{ ref('int_as_of') }}

),

-- 0, 1, 2, ... up to the number of weeks the spine spans: an interval's week ends are
-- its first one plus 7 x each offset up to its span.  (generate_series is DuckDB's; the
-- rest of the expansion is portable.)
week_offsets as (

    select unnest(generate_series(
        0,
        cast({{ dbt.datediff(week_end('cast(min(opportunities.created_at) as date)'), 'max(spine_end.last_week_end)', 'day') }} / 7 as bigint)
    )) as week_offset
    from opportunities
    cross join spine_end

),

-- The opportunity's conversion to the reporting currency, from its current record:
-- applied to every earlier amount, so that an unchanged deal keeps its value from
-- week to week and the latest week shows staging's amount_reporting exactly.
conversion as (

    select
        opportunity_id,
        created_at,
        motion,
        amount as current_amount,
        amount_reporting as current_amount_reporting,
        case
            when amount_conversion = 'reporting_currency' then 1.0
            when amount_reporting is not null and amount <> 0 then cast(amount_reporting as double) / cast(amount as double)
        end as reporting_rate
    from opportunities

),

-- Every change the state is made of, one row each: the tracked fields' changes and
-- the starts of the stage history's visits.
events as (

    select
        opportunity_id,
        changed_at,
        field_name,
        change_seq,
        value_after,
        cast(null as {{ dbt.type_string() }}) as stage,
        false as qualifies
    from changes
    where field_name in ('{{ as_of_fields.keys() | join("', '") }}')

    union all

    select
        opportunity_id,
        entered_at as changed_at,
        'sales_stage' as field_name,
        visit_seq as change_seq,
        cast(null as {{ dbt.type_string() }}) as value_after,
        stage_visits.stage,
        -- The qualified pipeline starts at the sql stage or a later open one, or won (a
        -- lost stage is not "beyond" SQL): the rule of the funnel's SQL milestone.
        coalesce(
            stage_visits.is_won
            or (not stage_visits.is_closed and stage_visits.stage_order >= qualified_stage.sql_stage_order),
            false
        ) as qualifies
    from stage_visits
    cross join qualified_stage

),

-- Each field's latest value at each change, in one pass over the changes in time
-- order (one field's changes in the same second: in the log's order).  Staging turns
-- empty text into null, so '' can stand for "set to empty" while nulls mean "not
-- this field": ignore nulls then carries each field's value forward, emptied or not.
filled as (

    select
        opportunity_id,
        changed_at,
        lead(changed_at) over state_order as next_changed_at,
        last_value(stage ignore nulls) over running_state_order as stage,
        last_value(case when stage is not null then changed_at end ignore nulls)
            over running_state_order as stage_entered_at,
        {%- for field in as_of_fields %}
        nullif(
            last_value(case when field_name = '{{ field }}' then coalesce(value_after, '') end ignore nulls)
                over running_state_order,
            ''
        ) as {{ as_of_fields[field] }}_text,
        {%- endfor %}
        last_value(case when field_name = 'date_closed' then changed_at end ignore nulls)
            over running_state_order as close_date_set_at,
        min(case when qualifies then changed_at end) over running_state_order as qualified_at
    from events
    window
        state_order as (partition by opportunity_id order by changed_at, change_seq),
        running_state_order as (
            partition by opportunity_id order by changed_at, change_seq
            rows between unbounded preceding and current row
        )

),

-- One row per opportunity per instant anything changed: the state from then until
-- the next instant (the last change of each instant holds every change made in it).
states as (

    select
        opportunity_id,
        changed_at as valid_from,
        next_changed_at as valid_to,
        stage,
        stage_entered_at,
        {%- for field in as_of_fields.values() %}
        {{ field }}_text,
        {%- endfor %}
        close_date_set_at,
        qualified_at,
        {{ week_end('cast(changed_at as date)') }} as first_week_end,
        cast({{ dbt.dateadd('day', -7, week_end('cast(next_changed_at as date)')) }} as date) as week_end_before_next
    from filled
    where next_changed_at is null
        or next_changed_at > changed_at

),

-- The intervals, with the stage in force and the week ends each one spans: from the
-- week end on or after it starts to the last week end before the day it ends.
intervals as (

    select
        states.opportunity_id,
        states.valid_from,
        states.valid_to,
        conversion.created_at,
        conversion.motion,
        conversion.current_amount,
        conversion.current_amount_reporting,
        conversion.reporting_rate,
        states.stage,
        stage_map.stage_order,
        stage_map.milestone,
        coalesce(stage_map.is_closed, false) as is_closed,
        coalesce(stage_map.is_won, false) as is_won,
        states.stage_entered_at,
        {%- for field in as_of_fields.values() %}
        states.{{ field }}_text,
        {%- endfor %}
        states.close_date_set_at,
        states.qualified_at,
        states.first_week_end,
        coalesce(states.week_end_before_next, spine_end.last_week_end) as last_week_end

    from states
    inner join conversion
        on conversion.opportunity_id = states.opportunity_id
    left join stage_map
        on stage_map.crm_stage = states.stage
    cross join spine_end
    -- A change logged before the opportunity's creation (reported by the test
    -- assert_audit_changes_not_before_creation) does not make it exist earlier.
    where states.valid_from >= conversion.created_at
        -- Only intervals that span a week end become rows.
        and (states.week_end_before_next is null or states.first_week_end <= states.week_end_before_next)

),

open_weeks as (

    select
        cast({{ dbt.dateadd('day', '7 * week_offsets.week_offset', 'intervals.first_week_end') }} as date) as week_end,
        intervals.*
    from intervals
    inner join week_offsets
        on week_offsets.week_offset <= {{ dbt.datediff('intervals.first_week_end', 'intervals.last_week_end', 'day') }} / 7
    where not intervals.is_closed
        and intervals.first_week_end <= intervals.last_week_end

),

-- The week it closed: the interval in force at the end of the week the closed stage
-- was entered in (a deal closed and edited in the same week has one such interval).
closing_weeks as (

    select
        {{ week_end('cast(intervals.stage_entered_at as date)') }} as week_end,
        intervals.*
    from intervals
    where intervals.is_closed
        and intervals.first_week_end = {{ week_end('cast(intervals.stage_entered_at as date)') }}
        and intervals.first_week_end <= intervals.last_week_end

),

weekly as (

    select * from open_weeks
    union all
    select * from closing_weeks

),

typed as (

    select
        weekly.week_end,
        weekly.opportunity_id,
        weekly.owner_user_id_text as owner_user_id,
        weekly.motion,
        weekly.stage,
        weekly.stage_order,
        weekly.milestone,
        weekly.stage_entered_at,
        not weekly.is_closed as is_open,
        weekly.is_won,
        weekly.is_closed,
        coalesce(
            not weekly.is_closed and weekly.stage_order >= qualified_stage.sql_stage_order,
            false
        ) as is_qualified,
        weekly.qualified_at,
        weekly.created_at,
        {{ dbt.safe_cast('weekly.amount_text', dbt.type_numeric()) }} as amount,
        weekly.current_amount,
        weekly.current_amount_reporting,
        weekly.reporting_rate,
        {{ dbt.safe_cast('weekly.close_date_text', 'date') }} as close_date,
        weekly.close_date_set_at,
        weekly.commit_stage_text as commit_stage

    from weekly
    cross join qualified_stage

)

select
    typed.week_end,
    typed.opportunity_id,
    typed.owner_user_id,
    typed.motion,
    typed.stage,
    typed.stage_order,
    typed.milestone,
    typed.stage_entered_at,
    typed.is_open,
    typed.is_qualified,
    typed.is_closed and typed.is_won as is_won_this_week,
    typed.is_closed and not typed.is_won as is_lost_this_week,
    typed.created_at,
    typed.qualified_at,
    cast(
        case
            when typed.amount = typed.current_amount then typed.current_amount_reporting
            else typed.amount * typed.reporting_rate
        end as {{ dbt.type_numeric() }}
    ) as amount_reporting,
    typed.close_date,
    {{ fiscal_quarter_label('typed.close_date') }} as close_fiscal_quarter,
    typed.close_date_set_at,
    typed.commit_stage,
    forecast_category_map.forecast_category,
    history_sources.history_source

from typed
left join forecast_category_map
    on forecast_category_map.crm_value = typed.commit_stage
inner join history_sources
    on history_sources.opportunity_id = typed.opportunity_id
