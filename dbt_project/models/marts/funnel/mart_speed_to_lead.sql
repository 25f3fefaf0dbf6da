{#-
    Speed to lead (docs/domain.md: the qualified pipeline): how long MQLs wait for the first real human
    touch (a held call or meeting logged against the lead, at or after its MQL time;
    int_funnel_milestones finds it).  Per week of the MQL and per SDR (the lead's
    assigned user), plus an `all` row per week; every week from the first MQL to the
    as-of date has its `all` row, with zeros when no lead became an MQL.
-#}
{%- set unassigned = "'(unassigned)'" -%}

with

funnel as (

    select
        coalesce(sdr_user_id, {{ unassigned }}) as sdr_user_id,
        cast(mql_at as date) as mql_on,
        cast(hours_to_first_touch as double) as hours_to_first_touch
    from {{ ref('fct_funnel') }}
    where mql_at is not null

),

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

calendar as (

    select date_day, week_start, week_end from {{ ref('dim_fiscal_calendar') }}

),

mqls as (

    select
        sdr_user_id,
        {{ week_start('mql_on') }} as week_start,
        {{ week_end('mql_on') }} as week_end,
        hours_to_first_touch
    from funnel

),

aggregated as (

    select
        week_start,
        week_end,
        case when grouping(sdr_user_id) = 1 then 'all' else sdr_user_id end as sdr_user_id,
        count(*) as mqls,
        count(hours_to_first_touch) as touched,
        count(*) - count(hours_to_first_touch) as never_touched,
        cast(sum(case when hours_to_first_touch <= 1 then 1 else 0 end) as {{ dbt.type_bigint() }}) as touched_within_1h,
        cast(sum(case when hours_to_first_touch <= 24 then 1 else 0 end) as {{ dbt.type_bigint() }}) as touched_within_24h,
        percentile_cont(0.5) within group (order by hours_to_first_touch) as median_hours_to_first_touch,
        percentile_cont(0.9) within group (order by hours_to_first_touch) as p90_hours_to_first_touch

    from mqls
    group by grouping sets (
        (week_start, week_end, sdr_user_id),
        (week_start, week_end)
    )

),

-- Every week from the first MQL's to the as-of date's, for the `all` rows.
weeks as (

    select distinct
        calendar.week_start,
        calendar.week_end
    from calendar
    cross join as_of
    where calendar.date_day between (select min(mql_on) from funnel) and as_of.as_of_date

    union

    select distinct week_start, week_end
    from aggregated

),

rows_per_week as (

    select
        weeks.week_start,
        weeks.week_end,
        'all' as sdr_user_id,
        coalesce(aggregated.mqls, 0) as mqls,
        coalesce(aggregated.touched, 0) as touched,
        coalesce(aggregated.never_touched, 0) as never_touched,
        coalesce(aggregated.touched_within_1h, 0) as touched_within_1h,
        coalesce(aggregated.touched_within_24h, 0) as touched_within_24h,
        aggregated.median_hours_to_first_touch,
        aggregated.p90_hours_to_first_touch
    from weeks
    left join aggregated
        on aggregated.week_start = weeks.week_start
        and aggregated.sdr_user_id = 'all'

    union all

    select
        week_start,
        week_end,
        sdr_user_id,
        mqls,
        touched,
        never_touched,
        touched_within_1h,
        touched_within_24h,
        median_hours_to_first_touch,
        p90_hours_to_first_touch
    from aggregated
    where sdr_user_id <> 'all'

)

select
    rows_per_week.week_start,
    rows_per_week.week_end,
    rows_per_week.sdr_user_id,
    rows_per_week.mqls,
    rows_per_week.touched,
    rows_per_week.never_touched,
    rows_per_week.touched_within_1h,
    rows_per_week.touched_within_24h,
    rows_per_week.median_hours_to_first_touch,
    rows_per_week.p90_hours_to_first_touch,
    as_of.as_of_date,
    rows_per_week.week_end <= as_of.as_of_date as is_week_complete

from rows_per_week
cross join as_of
