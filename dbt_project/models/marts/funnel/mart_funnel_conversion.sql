{#-
    Conversion through the funnel (docs/domain.md: the qualified pipeline), both methods, labelled:

    - cohort: the entries that entered the funnel in the period (at their MQL, or at
      SRL for a deal with no lead), followed to everything that happened to them since;
    - period: each milestone counted in the period it happened in.

    Per period grain (week, month, fiscal quarter), per motion and per lead source,
    with an `all` row for each.  Every period from the first entry to the as-of date
    is here, with zeros where nothing happened.  Rates are null when their denominator
    is zero; each is compared with its benchmark band (vars benchmark_*).
-#}
{%- set not_set = "'(not set)'" -%}


{%- set measures = {
    'entries': '0',
    'mqls': '0',
    'srls': '0',
    'srls_from_mqls': '0',
    'sqls': '0',
    'won': '0',
    'lost': '0',
    'lost_unqualified': '0',
    'won_amount': 'null',
    'lost_amount': 'null',
    'days_mql_to_srl': 'null',
    'days_srl_to_sql': 'null',
    'days_sql_to_close': 'null',
} -%}

{#- method, the date that places the row in a period, and the measures it carries. -#}
{%- set fact_rows = [
    ('cohort', 'entered_at', {
        'entries': '1',
        'mqls': 'case when mql_at is not null then 1 else 0 end',
        'srls': 'case when srl_at is not null then 1 else 0 end',
        'srls_from_mqls': 'case when srl_at is not null and mql_at is not null then 1 else 0 end',
        'sqls': 'case when sql_at is not null then 1 else 0 end',
        'won': 'case when won_at is not null then 1 else 0 end',
        'lost': 'case when lost_at is not null and sql_at is not null then 1 else 0 end',
        'lost_unqualified': 'case when lost_at is not null and sql_at is null then 1 else 0 end',
        'won_amount': 'case when won_at is not null then amount_reporting end',
        'lost_amount': 'case when lost_at is not null and sql_at is not null then amount_reporting end',
        'days_mql_to_srl': 'days_mql_to_srl',
        'days_srl_to_sql': 'days_srl_to_sql',
        'days_sql_to_close': 'days_sql_to_close',
    }),
    ('period', 'entered_at', {'entries': '1'}),
    ('period', 'mql_at', {'mqls': '1'}),
    ('period', 'srl_at', {
        'srls': '1',
        'srls_from_mqls': 'case when mql_at is not null then 1 else 0 end',
        'days_mql_to_srl': 'days_mql_to_srl',
    }),
    ('period', 'sql_at', {'sqls': '1', 'days_srl_to_sql': 'days_srl_to_sql'}),
    ('period', 'won_at', {'won': '1', 'won_amount': 'amount_reporting', 'days_sql_to_close': 'days_sql_to_close'}),
    ('period', 'lost_at', {
        'lost': 'case when sql_at is not null then 1 else 0 end',
        'lost_unqualified': 'case when sql_at is null then 1 else 0 end',
        'lost_amount': 'case when sql_at is not null then amount_reporting end',
        'days_sql_to_close': 'days_sql_to_close',
    }),
] -%}

with

funnel as (

    select
        motion,
        coalesce(lead_source, {{ not_set }}) as lead_source,
        entered_at,
        mql_at,
        srl_at,
        sql_at,
        won_at,
        lost_at,
        amount_reporting,
        days_mql_to_srl,
        days_srl_to_sql,
        days_sql_to_close
    from {{ ref('fct_funnel') }}

),

as_of as (

    select as_of_date from {{ ref('int_funnel_as_of') }}

),

calendar as (

    select date_day from {{ ref('dim_fiscal_calendar') }}

),

facts as (

    {% for method, date_column, values in fact_rows %}
    select
        '{{ method }}' as method,
        motion,
        lead_source,
        cast({{ date_column }} as date) as fact_date,
        {%- for measure, default in measures.items() %}
        {{ values.get(measure, default) }} as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from funnel
    where {{ date_column }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

bounds as (

    select
        min(facts.fact_date) as first_date,
        greatest(max(facts.fact_date), max(as_of.as_of_date)) as last_date
    from facts
    cross join as_of

),

-- Every day from the first fact to the as-of date (the calendar), and every fact's
-- day in case the calendar does not reach it.
days as (

    select calendar.date_day
    from calendar
    cross join bounds
    where calendar.date_day between bounds.first_date and bounds.last_date

    union

    select fact_date from facts

),

date_periods as (

    select
        date_day,
        'week' as period_grain,
        cast({{ dbt.dateadd('day', -6, week_end('date_day')) }} as date) as period_start,
        {{ week_end('date_day') }} as period_end,
        cast({{ week_end('date_day') }} as {{ dbt.type_string() }}) as period_label
    from days

    union all

    select
        date_day,
        'month' as period_grain,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'date_day'))) }} as date)
            as period_end,
        substring(cast(date_day as {{ dbt.type_string() }}), 1, 7) as period_label
    from days

    union all

    select
        date_day,
        'fiscal_quarter' as period_grain,
        {{ fiscal_quarter_start('date_day') }} as period_start,
        {{ fiscal_quarter_end('date_day') }} as period_end,
        {{ fiscal_quarter_label('date_day') }} as period_label
    from days

),

periods as (

    select distinct period_grain, period_start, period_end, period_label
    from date_periods

),

dated_facts as (

    select
        date_periods.period_grain,
        date_periods.period_start,
        facts.*
    from facts
    inner join date_periods
        on date_periods.date_day = facts.fact_date

),

aggregated as (

    select
        period_grain,
        period_start,
        method,
        case when grouping(motion) = 1 then 'all' else motion end as motion,
        case when grouping(lead_source) = 1 then 'all' else lead_source end as lead_source,
        cast(sum(entries) as {{ dbt.type_bigint() }}) as entries,
        cast(sum(mqls) as {{ dbt.type_bigint() }}) as mqls,
        cast(sum(srls) as {{ dbt.type_bigint() }}) as srls,
        cast(sum(srls_from_mqls) as {{ dbt.type_bigint() }}) as srls_from_mqls,
        cast(sum(sqls) as {{ dbt.type_bigint() }}) as sqls,
        cast(sum(won) as {{ dbt.type_bigint() }}) as won,
        cast(sum(lost) as {{ dbt.type_bigint() }}) as lost,
        cast(sum(lost_unqualified) as {{ dbt.type_bigint() }}) as lost_unqualified,
        coalesce(sum(won_amount), 0) as won_amount,
        coalesce(sum(lost_amount), 0) as lost_amount,
        percentile_cont(0.5) within group (order by days_mql_to_srl) as median_days_mql_to_srl,
        percentile_cont(0.5) within group (order by days_srl_to_sql) as median_days_srl_to_sql,
        percentile_cont(0.5) within group (order by days_sql_to_close) as median_days_sql_to_close

    from dated_facts
    group by grouping sets (
        (period_grain, period_start, method, motion, lead_source),
        (period_grain, period_start, method, motion),
        (period_grain, period_start, method, lead_source),
        (period_grain, period_start, method)
    )

),

methods as (

    select 'cohort' as method
    union all
    select 'period' as method

),

slices as (

    select distinct motion, lead_source
    from aggregated

),

-- Every period x method x slice, so that a period where nothing happened is a row of zeros.
spine as (

    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        methods.method,
        slices.motion,
        slices.lead_source
    from periods
    cross join methods
    cross join slices

),

counted as (

    select
        spine.period_grain,
        spine.period_start,
        spine.period_end,
        spine.period_label,
        spine.method,
        spine.motion,
        spine.lead_source,
        coalesce(aggregated.entries, 0) as entries,
        coalesce(aggregated.mqls, 0) as mqls,
        coalesce(aggregated.srls, 0) as srls,
        coalesce(aggregated.srls_from_mqls, 0) as srls_from_mqls,
        coalesce(aggregated.sqls, 0) as sqls,
        coalesce(aggregated.won, 0) as won,
        coalesce(aggregated.lost, 0) as lost,
        coalesce(aggregated.lost_unqualified, 0) as lost_unqualified,
        coalesce(aggregated.won_amount, 0) as won_amount,
        coalesce(aggregated.lost_amount, 0) as lost_amount,
        aggregated.median_days_mql_to_srl,
        aggregated.median_days_srl_to_sql,
        aggregated.median_days_sql_to_close,
        as_of.as_of_date

    from spine
    cross join as_of
    left join aggregated
        on aggregated.period_grain = spine.period_grain
        and aggregated.period_start = spine.period_start
        and aggregated.method = spine.method
        and aggregated.motion = spine.motion
        and aggregated.lead_source = spine.lead_source

),

rated as (

    select
        counted.*,
        case when mqls > 0 then cast(srls_from_mqls as double) / cast(mqls as double) end as mql_to_srl_rate,
        case when srls > 0 then cast(sqls as double) / cast(srls as double) end as srl_to_sql_rate,
        case when won + lost > 0 then cast(won as double) / cast(won + lost as double) end as win_rate_count,
        case when won_amount + lost_amount > 0 then cast(won_amount as double) / cast(won_amount + lost_amount as double) end as win_rate_value,
        -- A farming MQL is a customer contact's lead that became a farming deal: its
        -- MQL -> SRL rate is close to 100% by construction, so no band to compare with.
        case when motion <> 'farming' then cast({{ var('benchmark_mql_to_srl_low') }} as decimal(9, 4)) end
            as mql_to_srl_benchmark_low,
        case when motion <> 'farming' then cast({{ var('benchmark_mql_to_srl_high') }} as decimal(9, 4)) end
            as mql_to_srl_benchmark_high,
        cast({{ var('benchmark_srl_to_sql_low') }} as decimal(9, 4)) as srl_to_sql_benchmark_low,
        cast({{ var('benchmark_srl_to_sql_high') }} as decimal(9, 4)) as srl_to_sql_benchmark_high,
        -- The win-rate benchmark is per motion; a mix of both (`all`) has none.
        case motion
            when 'hunting' then cast({{ var('benchmark_win_rate_hunting') }} as decimal(9, 4))
            when 'farming' then cast({{ var('benchmark_win_rate_farming') }} as decimal(9, 4))
        end as win_rate_benchmark

    from counted

),

banded as (

    select
        rated.*,
        win_rate_benchmark - cast({{ var('benchmark_win_rate_tolerance') }} as decimal(9, 4)) as win_rate_benchmark_low,
        win_rate_benchmark + cast({{ var('benchmark_win_rate_tolerance') }} as decimal(9, 4)) as win_rate_benchmark_high,
        case
            when method = 'cohort'
                then greatest({{ dbt.datediff('period_end', 'as_of_date', 'day') }}, 0)
        end as cohort_age_days,
        case
            when method = 'cohort'
                then {{ dbt.datediff('period_end', 'as_of_date', 'day') }} >= {{ var('cohort_maturity_days') }}
        end as is_mature
    from rated

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

from banded
