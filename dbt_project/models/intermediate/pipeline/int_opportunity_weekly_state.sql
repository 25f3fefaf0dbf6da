{#-
    The as-of spine: each opportunity's state at the end of every week end it was
    open at, plus the week end of the week it closed, rebuilt from the audit log rather
    than from snapshots taken when the warehouse happened to run.  The pipeline marts
    and the forecast marts both read it.

    "As of week end W" means at the end of day W (UTC): the latest change made before
    W + 1 day 00:00, i.e. the interval of int_opportunity_states in force then.  The
    spine ends at the week end of the latest thing the opportunity exports recorded
    (int_as_of), so the latest week end shows the state the current records show.

    Set-based: each interval of constant state is joined to the week ends it spans.
    Only open intervals span several week ends; a closed one gives at most the week it
    closed in, so the spine grows with open pipeline, not with history x opportunities.
-#}

with

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

states as (

    select * from {{ ref('int_opportunity_states') }}

),

stage_map as (

    select * from {{ ref('stg_vocabulary__stage_map') }}

),

forecast_category_map as (

    select * from {{ ref('stg_vocabulary__forecast_category_map') }}

),

spine_end as (

    select last_week_end from {{ ref('int_as_of') }}

),

currency_rate_periods as (

    select * from {{ ref('int_currency_rate_periods') }}

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

-- The intervals, with the stage in force and the week ends each one spans: from the
-- week end on or after it starts to the last week end before the day it ends.
intervals as (

    select
        states.*,
        opportunities.created_at,
        opportunities.motion,
        opportunities.amount as current_amount,
        opportunities.amount_reporting as current_amount_reporting,
        opportunities.reporting_rate,
        opportunities.currency_id,
        opportunities.amount_conversion,
        opportunities.history_source,
        stage_map.stage_order,
        stage_map.milestone,
        coalesce(stage_map.is_closed, false) as is_closed,
        coalesce(stage_map.is_won, false) as is_won,
        coalesce(stage_map.reached_sql, false) as reached_sql,
        {{ week_end('cast(states.valid_from as date)') }} as first_week_end,
        coalesce(
            cast({{ dbt.dateadd('day', -7, week_end('cast(states.valid_to as date)')) }} as date),
            spine_end.last_week_end
        ) as last_week_end

    from states
    inner join opportunities
        on opportunities.opportunity_id = states.opportunity_id
    left join stage_map
        on stage_map.crm_stage = states.stage
    cross join spine_end
    -- A change logged before the opportunity's creation (reported by the test
    -- assert_audit_changes_not_before_creation) does not make it exist earlier.
    where states.valid_from >= opportunities.created_at

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
        weekly.*,
        {{ dbt.safe_cast('weekly.amount_text', dbt.type_numeric()) }} as amount,
        {{ dbt.safe_cast('weekly.close_date_text', 'date') }} as close_date,
        -- The rate valid on the week end (as the marketing spend is converted on its day).
        currency_rate_periods.rate as week_end_rate
    from weekly
    left join currency_rate_periods
        on currency_rate_periods.currency_id = weekly.currency_id
        and currency_rate_periods.valid_from <= weekly.week_end
        and (currency_rate_periods.valid_to is null or weekly.week_end < currency_rate_periods.valid_to)

)

select
    typed.week_end,
    typed.opportunity_id,
    typed.owner_user_id_text as owner_user_id,
    typed.motion,
    typed.stage,
    typed.stage_order,
    typed.milestone,
    typed.stage_entered_at,
    not typed.is_closed as is_open,
    -- In the qualified pipeline this week: reached SQL (the stage map's rule) and still
    -- open.  Won deals reached SQL too, but a closed deal is no longer pipeline.
    typed.reached_sql and not typed.is_closed as is_qualified,
    typed.is_closed and typed.is_won as is_won_this_week,
    typed.is_closed and not typed.is_won as is_lost_this_week,
    typed.created_at,
    typed.qualified_at,
    -- Each week's amount at the rate valid on that week end (macros/currency.sql:
    -- weekly_amount_reporting), rounded to cents, so a roll-up is the sum of its rows.
    cast(
        {{ weekly_amount_reporting('typed.amount', 'typed.current_amount', 'typed.current_amount_reporting',
            'typed.amount_conversion', 'typed.reporting_rate', 'typed.currency_id', 'typed.week_end_rate') }}
        as {{ dbt.type_numeric() }}
    ) as amount_reporting,
    typed.close_date,
    {{ fiscal_quarter_label('typed.close_date') }} as close_fiscal_quarter,
    typed.close_date_set_at,
    typed.commit_stage_text as commit_stage,
    forecast_category_map.forecast_category,
    typed.history_source

from typed
left join forecast_category_map
    on forecast_category_map.crm_value = typed.commit_stage_text
