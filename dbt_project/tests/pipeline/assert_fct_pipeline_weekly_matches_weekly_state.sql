{#-
    The incremental fct_pipeline_weekly must hold exactly the rows of the as-of spine
    it is kept from, after every run: rows missing from it, rows it holds that the
    spine does not, and rows whose values differ.  Proves the incremental path
    (delete+insert of changed rows, post-hook deletion) on every build.
-#}
{#- An asset check of fct_pipeline_weekly in Dagster (the test reads two models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_pipeline_weekly'}}}) }}
{%- set columns = ['week_end', 'opportunity_id'] -%}
{%- if execute -%}
    {%- set columns = adapter.get_columns_in_relation(ref('fct_pipeline_weekly')) | map(attribute='name') | list -%}
{%- endif -%}

with

fct as (

    select {{ columns | join(', ') }} from {{ ref('fct_pipeline_weekly') }}

),

weekly_state as (

    select {{ columns | join(', ') }} from {{ ref('int_opportunity_weekly_state') }}

),

missing as (

    select 'missing from fct_pipeline_weekly' as problem, * from (
        select * from weekly_state
        {{ dbt.except() }}
        select * from fct
    ) as rows_missing

),

extra as (

    select 'not in int_opportunity_weekly_state' as problem, * from (
        select * from fct
        {{ dbt.except() }}
        select * from weekly_state
    ) as rows_extra

)

select * from missing
union all
select * from extra
