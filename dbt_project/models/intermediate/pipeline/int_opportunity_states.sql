{#-
    Each opportunity's state as intervals of constant state: one row per opportunity
    per instant something changed, holding every tracked value in force from then
    (valid_from) until the next instant (valid_to; null = still in force).  The stage
    is the stage history's visit in force (int_opportunity_stage_visits: time in stage
    and the weekly state agree); the other fields are int_opportunity_changes' latest
    value, as text.  int_opportunity_weekly_state joins the intervals to week ends.
-#}
{%- set as_of_fields = {
    'amount': 'amount',
    'date_closed': 'close_date',
    'commit_stage': 'commit_stage',
    'assigned_user_id': 'owner_user_id',
} -%}

{{ opportunity_incremental_config() }}

with

changes as (

    select * from {{ ref('int_opportunity_changes') }}
    where {{ only_changed_opportunities('opportunity_id') }}

),

stage_visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}
    where {{ only_changed_opportunities('opportunity_id') }}

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
        false as reaches_sql
    from changes
    where field_name in ('{{ as_of_fields.keys() | join("', '") }}')

    union all

    select
        opportunity_id,
        entered_at as changed_at,
        'sales_stage' as field_name,
        visit_seq as change_seq,
        cast(null as {{ dbt.type_string() }}) as value_after,
        stage,
        -- The stage map's SQL milestone (won deals included): when the deal entered the
        -- qualified pipeline, the same moment as the funnel's sql_at.
        coalesce(reached_sql, false) as reaches_sql
    from stage_visits

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
        {{ last_non_null('stage') }} over running_state_order as stage,
        {{ last_non_null('case when stage is not null then changed_at end') }}
            over running_state_order as stage_entered_at,
        {%- for field in as_of_fields %}
        nullif(
            {{ last_non_null("case when field_name = '" ~ field ~ "' then coalesce(value_after, '') end") }}
                over running_state_order,
            ''
        ) as {{ as_of_fields[field] }}_text,
        {%- endfor %}
        {{ last_non_null("case when field_name = 'date_closed' then changed_at end") }}
            over running_state_order as close_date_set_at,
        min(case when reaches_sql then changed_at end) over running_state_order as qualified_at
    from events
    window
        state_order as (partition by opportunity_id order by changed_at, change_seq),
        running_state_order as (
            partition by opportunity_id order by changed_at, change_seq
            rows between unbounded preceding and current row
        )

)

-- The last change of each instant holds every change made in it.
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
    qualified_at

from filled
where next_changed_at is null
    or next_changed_at > changed_at
