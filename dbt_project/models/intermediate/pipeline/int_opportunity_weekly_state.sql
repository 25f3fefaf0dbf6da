{#-
    The as-of spine: each opportunity's state at the end of every week end it was
    open at, plus the week end of the week it closed, rebuilt from the audit log rather
    than from snapshots taken when the warehouse happened to run.  The pipeline marts
    and the forecast marts both read it.

    "As of week end W" means at the end of day W (UTC): the latest change made before
    W + 1 day 00:00, i.e. the interval of int_opportunity_states in force then (the
    rule, the intervals and the as-of columns are macros/opportunity_state.sql, shared
    with int_opportunity_period_end_state).  The
    spine ends at the week end of the latest thing the opportunity exports recorded
    (int_as_of), so the latest week end shows the state the current records show.

    Set-based: each interval of constant state is joined to the week ends it spans.
    Only open intervals span several week ends; a closed one gives at most the week it
    closed in, so the spine grows with open pipeline, not with history x opportunities.
-#}


{#-
    Incremental (macros/incremental.sql: as_of_incremental_config): every week of the
    opportunities int_changed_opportunities lists, and every opportunity's weeks from
    as_of_recompute_from() on.
-#}
{{ as_of_incremental_config('week_end') }}

with

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

spine_end as (

    select last_week_end from {{ ref('int_as_of') }}

),

recompute as (

    select {{ as_of_recompute_from('week_end', week_end) }} as from_week_end

),

-- 0, 1, 2, ... up to the number of weeks the spine spans: an interval's week ends are
-- its first one plus 7 x each offset up to its span.
week_offsets as (

    select {{ integer_series(
        '0',
        dbt.datediff(week_end('cast(min(opportunities.created_at) as date)'), 'max(spine_end.last_week_end)', 'day') ~ ' / 7'
    ) }} as week_offset
    from opportunities
    cross join spine_end

),

-- The intervals, with the stage in force and the week ends each one spans: from the
-- week end on or after it starts to the last week end before the day it ends (the
-- week ends W with state_in_force_at_end_of(W), counted rather than joined).  An
-- incremental run expands the other opportunities' intervals from recompute_from only.
spanned as (

    select
        state_intervals.*,
        {{ week_end('cast(state_intervals.valid_from as date)') }} as first_week_end,
        coalesce(
            cast({{ dbt.dateadd('day', -7, week_end('cast(state_intervals.valid_to as date)')) }} as date),
            spine_end.last_week_end
        ) as last_week_end,
        {{ only_changed_opportunities('state_intervals.opportunity_id') }} as is_recomputed,
        recompute.from_week_end
    from ({{ opportunity_state_intervals() }}) as state_intervals
    cross join spine_end
    cross join recompute

),

intervals as (

    select
        spanned.*,
        case when is_recomputed then first_week_end else greatest(first_week_end, from_week_end) end as expand_from
    from spanned
    where is_recomputed or last_week_end >= from_week_end

),

open_weeks as (

    select
        cast({{ dbt.dateadd('day', '7 * week_offsets.week_offset', 'intervals.expand_from') }} as date) as week_end,
        intervals.*
    from intervals
    inner join week_offsets
        on week_offsets.week_offset <= {{ dbt.datediff('intervals.expand_from', 'intervals.last_week_end', 'day') }} / 7
    where not intervals.is_closed
        and intervals.expand_from <= intervals.last_week_end

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
        and (intervals.is_recomputed or intervals.first_week_end >= intervals.from_week_end)

),

weekly as (

    select * from open_weeks
    union all
    select * from closing_weeks

),

weekly_state as (

    {{ opportunity_state_columns('weekly', 'week_end') }}

)

select
    week_end,
    opportunity_id,
    owner_user_id,
    motion,
    stage,
    stage_order,
    milestone,
    stage_entered_at,
    is_open,
    is_qualified,
    is_closed and is_won as is_won_this_week,
    is_closed and not is_won as is_lost_this_week,
    created_at,
    qualified_at,
    amount_reporting,
    close_date,
    close_fiscal_quarter,
    close_date_set_at,
    commit_stage,
    forecast_category,
    history_source

from weekly_state
