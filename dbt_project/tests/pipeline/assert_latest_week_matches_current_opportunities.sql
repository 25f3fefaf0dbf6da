{#-
    The audit log replayed to the latest week end must give the current records: every
    open opportunity in staging is in fct_pipeline_weekly's latest week, open, with the
    same stage, amount (reporting currency, at the latest week end's rate), close date and owner.  A row here means the
    audit log misses a change the record shows (an unaudited field, an incomplete
    export): history before it is built from what the log says.  A warning: the data is
    kept as exported.
-#}
{#- An asset check of fct_pipeline_weekly in Dagster (the test reads several models). -#}
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'fct_pipeline_weekly'}}}) }}

with

opportunities as (

    -- The current amount as the weekly state converts the latest week: at the rate
    -- valid on the latest week end (the CRM's own conversion as it is).
    select
        opportunities.opportunity_id,
        opportunities.sales_stage,
        {{ weekly_amount_reporting('opportunities.amount', 'opportunities.amount', 'opportunities.amount_reporting',
            'opportunities.amount_conversion', 'opportunities.reporting_rate', 'opportunities.currency_id',
            'currency_rate_periods.rate') }} as amount_reporting,
        opportunities.close_date,
        opportunities.owner_user_id
    from {{ ref('int_opportunities') }} as opportunities
    left join {{ ref('stg_vocabulary__stage_map') }} as stage_map
        on stage_map.crm_stage = opportunities.sales_stage
    cross join {{ ref('int_as_of') }} as as_of
    left join {{ ref('int_currency_rate_periods') }} as currency_rate_periods
        on currency_rate_periods.currency_id = opportunities.currency_id
        and currency_rate_periods.valid_from <= as_of.last_week_end
        and (currency_rate_periods.valid_to is null or as_of.last_week_end < currency_rate_periods.valid_to)
    where not coalesce(stage_map.is_closed, false)

),

latest_week as (

    select
        opportunity_id,
        stage,
        amount_reporting,
        close_date,
        owner_user_id,
        is_open
    from {{ ref('fct_pipeline_weekly') }}
    where week_end = (select max(week_end) from {{ ref('fct_pipeline_weekly') }})

)

select
    opportunities.opportunity_id,
    opportunities.sales_stage,
    latest_week.stage as latest_week_stage,
    opportunities.amount_reporting,
    latest_week.amount_reporting as latest_week_amount_reporting,
    opportunities.close_date,
    latest_week.close_date as latest_week_close_date,
    opportunities.owner_user_id,
    latest_week.owner_user_id as latest_week_owner_user_id

from opportunities
left join latest_week
    on latest_week.opportunity_id = opportunities.opportunity_id
where latest_week.opportunity_id is null
    or not latest_week.is_open
    or latest_week.stage <> opportunities.sales_stage
    or abs(coalesce(latest_week.amount_reporting, 0) - coalesce(opportunities.amount_reporting, 0)) > 0.005
    or (latest_week.amount_reporting is null) <> (opportunities.amount_reporting is null)
    or latest_week.close_date is distinct from opportunities.close_date
    or latest_week.owner_user_id is distinct from opportunities.owner_user_id
