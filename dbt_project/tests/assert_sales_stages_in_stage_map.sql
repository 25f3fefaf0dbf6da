{#-
    Reports every sales stage the CRM uses (current stage of an opportunity, or a
    before/after value of a sales_stage change in the audit log) that the seed
    stage_map does not list.  Such a stage has no order and no milestone, so funnel
    and velocity figures cannot place it: add it to seeds/stage_map.csv.
    A warning, not an error: the warehouse still builds, the stage keeps its name.
-#}
{#- An asset check of the seed stage_map in Dagster: the fix is a line in seeds/stage_map.csv. -#}
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stage_map'}}}) }}

with

stage_map as (

    select crm_stage from {{ ref('stage_map') }}

),

used_stages as (

    select sales_stage as stage, 'opportunities.sales_stage' as used_in
    from {{ ref('stg_sugarcrm__opportunities') }}

    union all

    select value_before as stage, 'opportunities_audit.before_value_string' as used_in
    from {{ ref('stg_sugarcrm__opportunities_audit') }}
    where field_name = 'sales_stage'

    union all

    select value_after as stage, 'opportunities_audit.after_value_string' as used_in
    from {{ ref('stg_sugarcrm__opportunities_audit') }}
    where field_name = 'sales_stage'

)

select
    used_stages.stage,
    used_stages.used_in,
    count(*) as rows_using_it

from used_stages
left join stage_map
    on stage_map.crm_stage = used_stages.stage
where stage_map.crm_stage is null
group by used_stages.stage, used_stages.used_in
