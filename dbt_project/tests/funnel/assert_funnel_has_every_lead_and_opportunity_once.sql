{#-
    fct_funnel loses nothing and counts nothing twice: every lead is exactly one
    entry, every opportunity is in exactly one entry.  Returns the leads and
    opportunities that break it.
-#}
{#- An asset check of fct_funnel in Dagster (the test reads staging too). -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_funnel'}}}) }}

with

funnel as (

    select lead_id, opportunity_id from {{ ref('fct_funnel') }}

),

leads as (

    select
        stg.lead_id,
        count(funnel.lead_id) as entries
    from {{ ref('stg_sugarcrm__leads') }} as stg
    left join funnel
        on funnel.lead_id = stg.lead_id
    group by stg.lead_id

),

opportunities as (

    select
        stg.opportunity_id,
        count(funnel.opportunity_id) as entries
    from {{ ref('stg_sugarcrm__opportunities') }} as stg
    left join funnel
        on funnel.opportunity_id = stg.opportunity_id
    group by stg.opportunity_id

)

select 'lead' as record_type, lead_id as record_id, entries
from leads
where entries <> 1

union all

select 'opportunity' as record_type, opportunity_id as record_id, entries
from opportunities
where entries <> 1
