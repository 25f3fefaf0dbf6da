{#-
    The counts behind marts.mart_funnel_conversion (docs/domain.md: the qualified
    pipeline), both methods:

    - cohort: the entries that entered the funnel in the period (at their MQL, or at
      SRL for a deal with no lead), followed to everything that happened to them since;
    - period: each milestone counted in the period it happened in.

    One row per period (grain week, month, fiscal quarter: macro date_periods) x method
    x motion x lead source, with an `all` row for each slice (grouping sets).  Every
    period from the first entry to the as-of date (int_as_of) is here, with zeros
    where nothing happened.

    Two aggregations meet per row: the counts and amounts are summed per day first and
    then per period (sums add up), the medians read every fact that carries a duration
    (a median does not); a row per fact and grain of both at once cost three times as much.

    Over 200 lines on purpose: a third of it is the declarative table `fact_rows`
    (which measures each milestone's row carries), kept beside the SQL that applies it.
-#}
{%- set not_set = "'(not set)'" -%}

{#- Each measure and its value on a fact row that does not carry it. -#}
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
{%- set counts = ['entries', 'mqls', 'srls', 'srls_from_mqls', 'sqls', 'won', 'lost', 'lost_unqualified'] -%}
{%- set amounts = ['won_amount', 'lost_amount'] -%}
{%- set durations = ['days_mql_to_srl', 'days_srl_to_sql', 'days_sql_to_close'] -%}

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
    from {{ ref('int_funnel_entry_figures') }}

),

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

calendar as (

    select date_day from {{ ref('int_fiscal_calendar') }}

),

-- One row per entry per method and milestone date it is counted at.
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

-- The counts and amounts of each day and slice: what the periods add up, a few thousand
-- rows instead of a row per fact and grain.
daily_sums as (

    select
        method,
        motion,
        lead_source,
        fact_date,
        {%- for measure in counts + amounts %}
        sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from facts
    group by method, motion, lead_source, fact_date

),

-- A median needs every value: the facts that carry a duration, and only those.
duration_facts as (

    select
        method,
        motion,
        lead_source,
        fact_date,
        {%- for duration in durations %}
        {{ duration }}{{ ',' if not loop.last }}
        {%- endfor %}
    from facts
    where {% for duration in durations %}{{ duration }} is not null{{ ' or ' if not loop.last }}{% endfor %}

),

bounds as (

    select
        min(daily_sums.fact_date) as first_date,
        greatest(max(daily_sums.fact_date), max(as_of.as_of_date)) as last_date
    from daily_sums
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

    select fact_date from daily_sums

),

date_periods as (

    {{ date_periods('days') }}

),

periods as (

    select distinct period_grain, period_start, period_end, period_label
    from date_periods

),

{#-
    Both aggregations read their facts as slice_facts: the same period and slice columns,
    and the same periods and grouping sets.  The grouping() flags tell a slice's `all`
    rows from a lead source named so when the two are joined.
-#}
{%- set slice_columns -%}
        date_periods.period_grain,
        date_periods.period_start,
        slice_facts.method,
        grouping(slice_facts.motion) as is_all_motions,
        grouping(slice_facts.lead_source) as is_all_lead_sources,
        case when grouping(slice_facts.motion) = 1 then 'all' else slice_facts.motion end as motion,
        case when grouping(slice_facts.lead_source) = 1 then 'all' else slice_facts.lead_source end as lead_source,
{%- endset %}
{%- set per_period_and_slice -%}
    inner join date_periods
        on date_periods.date_day = slice_facts.fact_date
    group by grouping sets (
        (period_grain, period_start, method, motion, lead_source),
        (period_grain, period_start, method, motion),
        (period_grain, period_start, method, lead_source),
        (period_grain, period_start, method)
    )
{%- endset %}
{%- set row_keys = ['period_grain', 'period_start', 'method', 'motion', 'lead_source'] %}

summed as (

    select
        {{ slice_columns }}
        {%- for count in counts %}
        cast(sum(slice_facts.{{ count }}) as {{ dbt.type_bigint() }}) as {{ count }},
        {%- endfor %}
        {%- for amount in amounts %}
        coalesce(sum(slice_facts.{{ amount }}), 0) as {{ amount }}{{ ',' if not loop.last }}
        {%- endfor %}
    from daily_sums as slice_facts
    {{ per_period_and_slice }}

),

medians as (

    select
        {{ slice_columns }}
        {%- for duration in durations %}
        percentile_cont(0.5) within group (order by slice_facts.{{ duration }}) as median_{{ duration }}{{ ',' if not loop.last }}
        {%- endfor %}
    from duration_facts as slice_facts
    {{ per_period_and_slice }}

),

aggregated as (

    select
        summed.*,
        {%- for duration in durations %}
        medians.median_{{ duration }}{{ ',' if not loop.last }}
        {%- endfor %}
    from summed
    left join medians
        on {% for key in row_keys + ['is_all_motions', 'is_all_lead_sources'] -%}
        medians.{{ key }} = summed.{{ key }}{{ '\n        and ' if not loop.last }}
        {%- endfor %}

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

)

select
    spine.period_grain,
    spine.period_start,
    spine.period_end,
    spine.period_label,
    spine.method,
    spine.motion,
    spine.lead_source,
    {%- for measure in counts + amounts %}
    coalesce(aggregated.{{ measure }}, 0) as {{ measure }},
    {%- endfor %}
    {%- for duration in durations %}
    aggregated.median_{{ duration }}{{ ',' if not loop.last }}
    {%- endfor %}

from spine
left join aggregated
    on {% for key in row_keys -%}
    aggregated.{{ key }} = spine.{{ key }}{{ '\n    and ' if not loop.last }}
    {%- endfor %}
