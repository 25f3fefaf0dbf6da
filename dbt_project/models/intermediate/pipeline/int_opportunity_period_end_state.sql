{#-
    Each opportunity's state at the end of every month and fiscal-quarter end day
    (int_fiscal_period_ends) it was open at, plus the closing state of a deal closed by
    then: the same intervals, rule and columns as the weekly spine
    (macros/opportunity_state.sql), joined to exact period-end days instead of week
    ends, so "pipeline on the last day of Q3" does not hold deals created between the
    quarter's last day and the next week end.

    One row per opportunity x period-end day (a day ending a quarter and a month has
    one row).  Closed rows are kept when the closed stage was entered in the longest
    period ending that day (the quarter's on a quarter end); the mart narrows them to
    each grain's period.

    Incremental like the weekly spine (macros/incremental.sql: as_of_incremental_config):
    every period end of the opportunities int_changed_opportunities lists, and every
    opportunity's period ends from as_of_recompute_from() on.
-#}

{{ as_of_incremental_config('period_end') }}

with

period_end_days as (

    select
        period_end,
        min(period_start) as earliest_period_start
    from {{ ref('int_fiscal_period_ends') }}
    group by period_end

),

intervals as (

    {{ opportunity_state_intervals() }}

),


{%- if is_incremental() %}

recompute as (

    select {{ as_of_recompute_from('period_end') }} as from_period_end

),

-- Two joins, not one with an or: each narrows the range join before it runs.
changed_intervals as (

    select * from intervals where {{ only_changed_opportunities('opportunity_id') }}

),

-- An interval that ended before the first recomputed day is in force on none of them:
-- left out before the range join (as the weekly spine does), 1.8 s to 1.25 s on large.
other_intervals as (

    select * from intervals
    where not ({{ only_changed_opportunities('opportunity_id') }})
        and (valid_to is null or cast(valid_to as date) > (select from_period_end from recompute))

),

recomputed_days as (

    select * from period_end_days where period_end >= (select from_period_end from recompute)

),

dated as (

    {{ state_at_period_ends('changed_intervals', 'period_end_days') }}
    union all
    {{ state_at_period_ends('other_intervals', 'recomputed_days') }}

)
{%- else %}

dated as (

    {{ state_at_period_ends('intervals', 'period_end_days') }}

)
{%- endif %}

{{ opportunity_state_columns('dated', 'period_end') }}
