{#-
    The weekly pipeline snapshot analysts query: int_opportunity_weekly_state's rows
    and columns, kept as an incremental table.

    A run writes what a new drop can reach, like the as-of spine it copies
    (macros/incremental.sql: as_of_incremental_config): every week of the
    opportunities the drop touched (a late audit row, a re-typed or deleted deal: the
    pre-hook deletes their rows first) and every opportunity's weeks from
    as_of_recompute_from() on (the new week end; the weeks a new currency rate is valid
    in).  Every other row, the past, stays as written.  The table then holds exactly the
    rows a full refresh gives: the dbt test assert_fct_pipeline_weekly_matches_weekly_state
    checks it on every build, tests/test_incremental_chain.py on a chain of weekly runs.
-#}
{%- set columns = [
    'week_end',
    'opportunity_id',
    'owner_user_id',
    'motion',
    'stage',
    'stage_order',
    'milestone',
    'stage_entered_at',
    'is_open',
    'is_qualified',
    'qualified_at',
    'amount_reporting',
    'close_date',
    'close_fiscal_quarter',
    'forecast_category',
    'is_won_this_week',
    'is_lost_this_week',
    'history_source',
] -%}

{{ as_of_incremental_config('week_end') }}

with

weekly_state as (

    select
        {{ columns | join(',\n        ') }}
    from {{ ref('int_opportunity_weekly_state') }}

)

select
    {{ columns | join(',\n    ') }}
from weekly_state
where {{ only_changed_opportunities('weekly_state.opportunity_id') }}
    or weekly_state.week_end >= {{ as_of_recompute_from('week_end', week_end) }}
