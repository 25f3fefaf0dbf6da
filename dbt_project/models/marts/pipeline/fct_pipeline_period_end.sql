{#-
    The pipeline at each month's and fiscal quarter's last day, exactly (docs/marts.md):
    one row per period x opportunity open at the end of its last day, plus each deal
    won or lost during the period that was still closed then (the period's actual).
    The state is int_opportunity_period_end_state's: the weekly spine's rule at the
    period's last day instead of a week end.

    Incremental like that model (macros/incremental.sql: as_of_incremental_config), on
    the same rows: every period end of the opportunities int_changed_opportunities lists
    and every opportunity's period ends from as_of_recompute_from() on.  A row is one
    state row's, narrowed by the calendar, so the rows of every other period end stay as
    written (tests/test_incremental_chain.py compares the mart with a full refresh).
-#}

{{ as_of_incremental_config('period_end') }}

with

period_ends as (

    select * from {{ ref('int_fiscal_period_ends') }}

),

period_end_state as (

    select * from {{ ref('int_opportunity_period_end_state') }}

)

select
    period_ends.period_grain,
    period_ends.period_label,
    period_ends.period_start,
    period_ends.period_end,
    period_end_state.opportunity_id,
    period_end_state.owner_user_id,
    period_end_state.motion,
    period_end_state.stage,
    period_end_state.stage_order,
    period_end_state.milestone,
    period_end_state.is_open,
    period_end_state.is_qualified,
    period_end_state.is_closed and period_end_state.is_won as is_won_in_period,
    period_end_state.is_closed and not period_end_state.is_won as is_lost_in_period,
    period_end_state.amount_reporting,
    period_end_state.close_date,
    period_end_state.close_fiscal_quarter,
    period_end_state.forecast_category,
    period_end_state.history_source

from period_end_state
inner join period_ends
    on period_ends.period_end = period_end_state.period_end
where (period_end_state.is_open
        or cast(period_end_state.stage_entered_at as date) >= period_ends.period_start)
    and ({{ only_changed_opportunities('period_end_state.opportunity_id') }}
        or period_end_state.period_end >= {{ as_of_recompute_from('period_end') }})
