{#-
    Which campaigns and channels bring pipeline that closes, at what cost (docs/domain.md
    section 6): per attribution model, per fiscal quarter, per campaign and per
    channel, the credited funnel, touches and spend of int_campaign_quarter_totals
    (where the key of a row, level / campaign_id / channel, is defined), with the
    campaign's name, the cost and return ratios, and the quarter's completeness and the
    cohort's maturity against the as-of date (macros/benchmarks.sql).
-#}
{%- set unattributed = 'unattributed' -%}
{#- Shown wherever campaigns are listed by name (the report, a BI tool's legend). -#}
{%- set unattributed_name = 'Unattributed (no campaign touch)' -%}

with

totals as (

    select * from {{ ref('int_campaign_quarter_totals') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

as_of as (

    select as_of_date from {{ ref('int_as_of') }}

),

quarters as (

    select
        totals.*,
        {{ fiscal_quarter_end('totals.fiscal_quarter_start') }} as fiscal_quarter_end
    from totals

)

select
    quarters.attribution_model,
    quarters.level,
    quarters.campaign_id,
    case
        when quarters.level = 'campaign' and quarters.campaign_id = '{{ unattributed }}'
            then '{{ unattributed_name }}'
        else campaigns.campaign_name
    end as campaign_name,
    quarters.channel,
    {{ fiscal_quarter_label('quarters.fiscal_quarter_start') }} as fiscal_quarter,
    quarters.fiscal_quarter_start,
    quarters.fiscal_quarter_end,
    quarters.touches,
    quarters.mqls,
    quarters.srls,
    quarters.sqls,
    quarters.won_deals,
    quarters.qualified_pipeline_amount,
    quarters.won_amount,
    quarters.spend,
    quarters.spend_rows_without_rate,
    cast(quarters.spend as double) / nullif(quarters.mqls, 0) as cost_per_mql,
    cast(quarters.spend as double) / nullif(quarters.sqls, 0) as cost_per_sql,
    cast(quarters.qualified_pipeline_amount as double) / nullif(quarters.spend, 0) as pipeline_per_spend,
    cast(quarters.won_amount as double) / nullif(quarters.spend, 0) as bookings_per_spend,
    as_of.as_of_date,
    quarters.fiscal_quarter_end <= as_of.as_of_date as is_period_complete,
    {{ cohort_age_days('quarters.fiscal_quarter_end', 'as_of.as_of_date') }} as cohort_age_days,
    {{ is_cohort_mature('quarters.fiscal_quarter_end', 'as_of.as_of_date') }} as is_mature
from quarters
cross join as_of
left join campaigns
    on campaigns.campaign_id = quarters.campaign_id
    and quarters.level = 'campaign'
