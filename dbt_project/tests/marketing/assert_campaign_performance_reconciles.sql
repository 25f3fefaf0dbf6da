{#-
    mart_campaign_performance adds up, per attribution model, level and fiscal quarter:
    its rows credit exactly the funnel entries that came in during the quarter (their
    MQLs, SRLs, SQLs, won deals, qualified pipeline and won amounts), their counted
    touches, and exactly the spend of the quarter (converted; the rows without a rate
    are counted, and a quarter's spend is compared only where all of it converted).
    Returns the rules broken.
-#}
{#- An asset check of mart_campaign_performance in Dagster (the test reads the funnel, touches and spend too). -#}
{{ config(meta={'dagster': {'ref': {'name': 'mart_campaign_performance'}}}) }}
{%- set measures = ['mqls', 'srls', 'sqls', 'won_deals', 'qualified_pipeline_amount', 'won_amount'] -%}

with

performance as (

    select * from {{ ref('mart_campaign_performance') }}

),

entries as (

    select * from {{ ref('int_funnel_milestones') }}

),

touches as (

    select * from {{ ref('int_campaign_touches_sequenced') }}
    where is_counted

),

spend as (

    select * from {{ ref('int_marketing_spend_converted') }}

),

funnel as (

    select
        {{ fiscal_quarter_start('cast(entered_at as date)') }} as fiscal_quarter_start,
        sum(case when mql_at is not null then 1 else 0 end) as mqls,
        sum(case when srl_at is not null then 1 else 0 end) as srls,
        sum(case when sql_at is not null then 1 else 0 end) as sqls,
        sum(case when won_at is not null then 1 else 0 end) as won_deals,
        coalesce(sum(case when sql_at is not null then cast(amount_reporting as double) end), 0)
            as qualified_pipeline_amount,
        coalesce(sum(case when won_at is not null then cast(amount_reporting as double) end), 0) as won_amount
    from entries
    group by {{ fiscal_quarter_start('cast(entered_at as date)') }}

),

touch_counts as (

    select
        {{ fiscal_quarter_start('cast(entered_at as date)') }} as fiscal_quarter_start,
        count(*) as touches
    from touches
    group by {{ fiscal_quarter_start('cast(entered_at as date)') }}

),

spend_totals as (

    select
        fiscal_quarter_start,
        sum(spend_reporting) as spend,
        sum(case when spend_conversion = 'no_rate' then 1 else 0 end) as spend_rows_without_rate
    from spend
    group by fiscal_quarter_start

),

mart as (

    select
        attribution_model,
        level,
        fiscal_quarter_start,
        {%- for measure in measures %}
        sum({{ measure }}) as {{ measure }},
        {%- endfor %}
        sum(touches) as touches,
        sum(spend) as spend,
        sum(spend_rows_without_rate) as spend_rows_without_rate
    from performance
    group by attribution_model, level, fiscal_quarter_start

),

compared as (

    select
        mart.attribution_model,
        mart.level,
        mart.fiscal_quarter_start,
        {%- for measure in measures %}
        abs(mart.{{ measure }} - coalesce(funnel.{{ measure }}, 0))
            > 1e-6 * greatest(1, abs(coalesce(funnel.{{ measure }}, 0))) as {{ measure }}_differs,
        {%- endfor %}
        mart.touches <> coalesce(touch_counts.touches, 0) as touches_differ,
        mart.spend_rows_without_rate <> coalesce(spend_totals.spend_rows_without_rate, 0) as unconverted_differ,
        coalesce(spend_totals.spend_rows_without_rate, 0) = 0
            and abs(coalesce(mart.spend, 0) - coalesce(spend_totals.spend, 0)) > 1e-6 as spend_differs
    from mart
    left join funnel
        on funnel.fiscal_quarter_start = mart.fiscal_quarter_start
    left join touch_counts
        on touch_counts.fiscal_quarter_start = mart.fiscal_quarter_start
    left join spend_totals
        on spend_totals.fiscal_quarter_start = mart.fiscal_quarter_start

),

missing_quarters as (

    select quarters.fiscal_quarter_start
    from (
        select fiscal_quarter_start from funnel
        union
        select fiscal_quarter_start from spend_totals
    ) as quarters
    where not exists (
        select 1 from mart where mart.fiscal_quarter_start = quarters.fiscal_quarter_start
    )

)

select attribution_model, level, fiscal_quarter_start, 'credits do not add up to the funnel' as rule
from compared
where {% for measure in measures %}{{ measure }}_differs{{ ' or ' if not loop.last }}{% endfor %}

union all

select attribution_model, level, fiscal_quarter_start, 'touches do not add up' as rule
from compared
where touches_differ

union all

select attribution_model, level, fiscal_quarter_start, 'spend does not add up' as rule
from compared
where spend_differs or unconverted_differ

union all

select null, null, fiscal_quarter_start, 'a quarter with entries or spend has no rows' as rule
from missing_quarters
