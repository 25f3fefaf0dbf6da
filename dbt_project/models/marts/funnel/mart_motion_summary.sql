{#-
    Hunting and farming side by side (docs/domain.md: hunting and farming), per fiscal quarter.  The
    counts and win rates are mart_funnel_conversion's period-method rows for the
    quarter (all lead sources), so the two marts cannot disagree; the deal size and
    the sales cycle are added from fct_funnel's deals won in the quarter.
-#}

with

conversion as (

    select
        period_start,
        period_end,
        period_label,
        motion,
        entries,
        mqls,
        srls,
        sqls,
        won,
        lost,
        lost_unqualified,
        won_amount,
        lost_amount,
        win_rate_count,
        win_rate_value,
        win_rate_benchmark,
        win_rate_benchmark_low,
        win_rate_benchmark_high,
        win_rate_count_vs_benchmark,
        win_rate_value_vs_benchmark,
        is_period_complete
    from {{ ref('mart_funnel_conversion') }}
    where period_grain = 'fiscal_quarter'
        and method = 'period'
        and lead_source = 'all'

),

won_deals as (

    select
        motion,
        {{ fiscal_quarter_start('cast(won_at as date)') }} as period_start,
        amount_reporting,
        cast(sales_cycle_days as double) as sales_cycle_days
    from {{ ref('fct_funnel') }}
    where won_at is not null

),

won_per_quarter as (

    select
        period_start,
        case when grouping(motion) = 1 then 'all' else motion end as motion,
        avg(amount_reporting) as average_won_deal_size,
        percentile_cont(0.5) within group (order by sales_cycle_days) as median_sales_cycle_days
    from won_deals
    group by grouping sets ((period_start, motion), (period_start))

)

select
    conversion.period_label as fiscal_quarter,
    conversion.period_start as fiscal_quarter_start,
    conversion.period_end as fiscal_quarter_end,
    conversion.motion,
    conversion.entries,
    conversion.mqls,
    conversion.srls,
    conversion.sqls,
    conversion.won,
    conversion.lost,
    conversion.lost_unqualified,
    conversion.won_amount as bookings,
    conversion.lost_amount,
    won_per_quarter.average_won_deal_size,
    won_per_quarter.median_sales_cycle_days,
    conversion.win_rate_count,
    conversion.win_rate_value,
    conversion.win_rate_benchmark,
    conversion.win_rate_benchmark_low,
    conversion.win_rate_benchmark_high,
    conversion.win_rate_count_vs_benchmark,
    conversion.win_rate_value_vs_benchmark,
    conversion.is_period_complete

from conversion
left join won_per_quarter
    on won_per_quarter.period_start = conversion.period_start
    and won_per_quarter.motion = conversion.motion
