{#-
    Conversion through the funnel (docs/domain.md: the qualified pipeline), both methods,
    labelled: the counts of int_funnel_conversion_counts (cohort and period, per period
    grain, motion and lead source, `all` rows, zeros where nothing happened) with their
    rates, each compared with its benchmark band (macros/benchmarks.sql, vars
    benchmark_*), and the period's completeness and the cohort's maturity against the
    as-of date.  Rates are null when their denominator is zero.
-#}

with

counts as (

    select * from {{ ref('int_funnel_conversion_counts') }}

),

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

rated as (

    select
        counts.*,
        as_of.as_of_date,
        case when mqls > 0 then cast(srls_from_mqls as double) / cast(mqls as double) end as mql_to_srl_rate,
        case when srls > 0 then cast(sqls as double) / cast(srls as double) end as srl_to_sql_rate,
        case when won + lost > 0 then cast(won as double) / cast(won + lost as double) end as win_rate_count,
        case when won_amount + lost_amount > 0 then cast(won_amount as double) / cast(won_amount + lost_amount as double) end as win_rate_value,
        -- A farming MQL is a customer contact's lead that became a farming deal: its
        -- MQL -> SRL rate is close to 100% by construction, so no band to compare with.
        case when motion <> 'farming' then {{ benchmark('mql_to_srl_low') }} end as mql_to_srl_benchmark_low,
        case when motion <> 'farming' then {{ benchmark('mql_to_srl_high') }} end as mql_to_srl_benchmark_high,
        {{ benchmark('srl_to_sql_low') }} as srl_to_sql_benchmark_low,
        {{ benchmark('srl_to_sql_high') }} as srl_to_sql_benchmark_high,
        {{ win_rate_benchmark('motion') }} as win_rate_benchmark,
        {{ win_rate_benchmark_low(win_rate_benchmark('motion')) }} as win_rate_benchmark_low,
        {{ win_rate_benchmark_high(win_rate_benchmark('motion')) }} as win_rate_benchmark_high,
        case when method = 'cohort' then {{ cohort_age_days('period_end', 'as_of_date') }} end as cohort_age_days,
        case when method = 'cohort' then {{ is_cohort_mature('period_end', 'as_of_date') }} end as is_mature

    from counts
    cross join as_of

)

select
    period_grain,
    period_start,
    period_end,
    period_label,
    method,
    motion,
    lead_source,
    entries,
    mqls,
    srls,
    srls_from_mqls,
    sqls,
    won,
    lost,
    lost_unqualified,
    won_amount,
    lost_amount,
    mql_to_srl_rate,
    mql_to_srl_benchmark_low,
    mql_to_srl_benchmark_high,
    {{ versus_band('mql_to_srl_rate', 'mql_to_srl_benchmark_low', 'mql_to_srl_benchmark_high', 'is_mature') }} as mql_to_srl_vs_benchmark,
    srl_to_sql_rate,
    srl_to_sql_benchmark_low,
    srl_to_sql_benchmark_high,
    {{ versus_band('srl_to_sql_rate', 'srl_to_sql_benchmark_low', 'srl_to_sql_benchmark_high', 'is_mature') }} as srl_to_sql_vs_benchmark,
    win_rate_count,
    win_rate_value,
    win_rate_benchmark,
    win_rate_benchmark_low,
    win_rate_benchmark_high,
    {{ versus_band('win_rate_count', 'win_rate_benchmark_low', 'win_rate_benchmark_high', 'is_mature') }} as win_rate_count_vs_benchmark,
    {{ versus_band('win_rate_value', 'win_rate_benchmark_low', 'win_rate_benchmark_high', 'is_mature') }} as win_rate_value_vs_benchmark,
    median_days_mql_to_srl,
    median_days_srl_to_sql,
    median_days_sql_to_close,
    as_of_date,
    period_end <= as_of_date as is_period_complete,
    cohort_age_days,
    is_mature

from rated
