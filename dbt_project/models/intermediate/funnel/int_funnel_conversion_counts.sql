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

    {{ date_periods('days') }}

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
        {%- for count in counts %}
        cast(sum({{ count }}) as {{ dbt.type_bigint() }}) as {{ count }},
        {%- endfor %}
        {%- for amount in amounts %}
        coalesce(sum({{ amount }}), 0) as {{ amount }},
        {%- endfor %}
        {%- for duration in durations %}
        percentile_cont(0.5) within group (order by {{ duration }}) as median_{{ duration }}{{ ',' if not loop.last }}
        {%- endfor %}

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
    on aggregated.period_grain = spine.period_grain
    and aggregated.period_start = spine.period_start
    and aggregated.method = spine.method
    and aggregated.motion = spine.motion
    and aggregated.lead_source = spine.lead_source
