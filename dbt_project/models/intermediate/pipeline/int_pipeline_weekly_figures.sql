{#-
    The figures behind marts.mart_pipeline_weekly (docs/domain.md: the qualified pipeline),
    per week end of the as-of spine (int_opportunity_weekly_state), per motion and for
    both (`all`): volume, value and age of the open qualified deals at the week end, and
    the qualified closes of the trailing window of var pipeline_trailing_weeks week ends
    ending at it.

    The closes in the window are qualified deals (won, or lost after reaching the
    qualified pipeline) whose closing week end is in it, each deal once: by its latest
    close in the window (a deal lost, reopened and won counts as won).
-#}
{%- set trailing_weeks = var('pipeline_trailing_weeks', 13) | int -%}

with

weekly_state as (

    select * from {{ ref('int_opportunity_weekly_state') }}

),

calendar as (

    select distinct week_end from {{ ref('int_fiscal_calendar') }}

),

-- Every week end of the spine, none skipped, so that "the previous week" is one row back.
week_ends as (

    select calendar.week_end
    from calendar
    where calendar.week_end >= (select min(week_end) from weekly_state)
        and calendar.week_end <= (select max(week_end) from weekly_state)

),

motions as (

    select distinct motion from weekly_state
    union all
    select 'all' as motion

),

open_qualified as (

    select
        week_end,
        case when grouping(motion) = 1 then 'all' else motion end as motion,
        count(*) as qualified_opportunities,
        sum(amount_reporting) as qualified_pipeline_amount,
        percentile_cont(0.5) within group (
            order by {{ elapsed_days('qualified_at', dbt.dateadd('day', 1, 'cast(week_end as timestamp)')) }}
        ) as median_days_in_pipeline
    from weekly_state
    where is_qualified
    group by grouping sets ((week_end, motion), (week_end))

),

qualified_closes as (

    select
        week_end as closed_week_end,
        opportunity_id,
        motion,
        is_won_this_week as is_won,
        amount_reporting,
        {{ elapsed_days('qualified_at', 'stage_entered_at') }} as days_sql_to_close,
        -- The deal's next close (the spine has one row per deal and week end, so closes do
        -- not tie): from then on this close is no longer the deal's latest.
        lead(week_end) over (partition by opportunity_id order by week_end) as next_closed_week_end
    from weekly_state
    where (is_won_this_week or is_lost_this_week)
        and qualified_at is not null

),

-- Each week end with the closes of its trailing window, each deal by its latest close: a
-- close is in the windows of the week ends from its own until the window has passed it or
-- the deal closed again.
window_closes as (

    select
        week_ends.week_end,
        qualified_closes.*
    from week_ends
    inner join qualified_closes
        on qualified_closes.closed_week_end <= week_ends.week_end
        and qualified_closes.closed_week_end > {{ dbt.dateadd('day', -7 * trailing_weeks, 'week_ends.week_end') }}
        and (qualified_closes.next_closed_week_end is null
             or qualified_closes.next_closed_week_end > week_ends.week_end)

),

trailing_closes as (

    select
        week_end,
        case when grouping(motion) = 1 then 'all' else motion end as motion,
        sum(case when is_won then 1 else 0 end) as won_opportunities,
        sum(case when is_won then 0 else 1 end) as lost_opportunities,
        coalesce(sum(case when is_won then amount_reporting end), 0) as won_amount,
        coalesce(sum(case when is_won then 0 else amount_reporting end), 0) as lost_amount,
        avg(case when is_won then amount_reporting end) as average_won_deal_size,
        -- Summed as decimals: a sum of doubles depends on the order the rows come in, and
        -- an incremental build stores them in another order than a full one.
        avg(case when is_won then cast(days_sql_to_close as decimal(18, 9)) end) as average_sales_cycle_days
    from window_closes
    group by grouping sets ((week_end, motion), (week_end))

)

-- Every week end x motion, zeros where nothing was open or closed.
select
    week_ends.week_end,
    motions.motion,
    coalesce(open_qualified.qualified_opportunities, 0) as qualified_opportunities,
    coalesce(open_qualified.qualified_pipeline_amount, 0) as qualified_pipeline_amount,
    open_qualified.median_days_in_pipeline,
    coalesce(trailing_closes.won_opportunities, 0) as won_opportunities,
    coalesce(trailing_closes.lost_opportunities, 0) as lost_opportunities,
    coalesce(trailing_closes.won_amount, 0) as won_amount,
    coalesce(trailing_closes.lost_amount, 0) as lost_amount,
    trailing_closes.average_won_deal_size,
    trailing_closes.average_sales_cycle_days,
    cast(trailing_closes.won_opportunities as double)
        / nullif(trailing_closes.won_opportunities + trailing_closes.lost_opportunities, 0) as win_rate_count,
    cast(trailing_closes.won_amount as double) / nullif(trailing_closes.won_amount + trailing_closes.lost_amount, 0) as win_rate_value

from week_ends
cross join motions
left join open_qualified
    on open_qualified.week_end = week_ends.week_end
    and open_qualified.motion = motions.motion
left join trailing_closes
    on trailing_closes.week_end = week_ends.week_end
    and trailing_closes.motion = motions.motion
