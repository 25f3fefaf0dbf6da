{#-
    The incremental fct_pipeline_weekly must hold exactly the rows of the as-of spine
    it is kept from, after every run: rows missing from it, rows it holds that the
    spine does not, and rows whose values differ.  Proves the incremental path
    (delete+insert of changed rows, post-hook deletion) on every build.

    Both tables are first summed up in one scan each (rows_fingerprint: row count, XOR
    and sum of the rows' hashes); only when those differ are the rows compared one by
    one, to list the ones that differ: the excepts' hash tables cost most of the check
    (docs/performance.md has the figures).
-#}
{#- An asset check of fct_pipeline_weekly in Dagster (the test reads two models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_pipeline_weekly'}}}) }}
{%- set columns = ['week_end', 'opportunity_id'] -%}
{%- if execute -%}
    {%- set columns = adapter.get_columns_in_relation(ref('fct_pipeline_weekly')) | map(attribute='name') | list -%}
{%- endif -%}

with

fct_fingerprint as (

    {{ rows_fingerprint(ref('fct_pipeline_weekly'), columns) }}

),

weekly_state_fingerprint as (

    {{ rows_fingerprint(ref('int_opportunity_weekly_state'), columns) }}

),

fingerprints as (

    select not (
        fct_fingerprint.row_count = weekly_state_fingerprint.row_count
        and fct_fingerprint.xor_hash = weekly_state_fingerprint.xor_hash
        and fct_fingerprint.sum_hash = weekly_state_fingerprint.sum_hash
    ) as differ
    from fct_fingerprint
    cross join weekly_state_fingerprint

),

-- Read only when the fingerprints differ: no rows otherwise, and nothing to compare.
fct as (

    select {{ columns | join(', ') }} from {{ ref('fct_pipeline_weekly') }}
    where (select differ from fingerprints)

),

weekly_state as (

    select {{ columns | join(', ') }} from {{ ref('int_opportunity_weekly_state') }}
    where (select differ from fingerprints)

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
