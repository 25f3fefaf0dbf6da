{#-
    What the project needs of a warehouse that DuckDB gives and Spark does not
    (docs/scale-out.md).  The models themselves are the same on every target.
-#}

{#-
    Incremental builds need deletes (replace a record's rows, an opportunity's, an
    entry's), which Spark's Parquet tables do not have: on Spark every model is a table
    and each build recomputes all of history.  (Delta tables have deletes; see
    docs/scale-out.md for what that would take.)
-#}
{% macro incremental_supported() -%}
    {{- return(adapter.dispatch('incremental_supported', 'funnelcast')()) -}}
{%- endmacro %}

{% macro default__incremental_supported() -%}{{- return(true) -}}{%- endmacro %}

{% macro spark__incremental_supported() -%}{{- return(false) -}}{%- endmacro %}

{#- The materialisation of a model that is incremental where the warehouse allows it. -#}
{% macro incremental_materialization() -%}
    {{- return('incremental' if incremental_supported() else 'table') -}}
{%- endmacro %}

{#-
    The materialisation of a mart that only selects an intermediate model's rows
    (fct_pipeline_weekly, fct_campaign_touches, fct_opportunity_stage_visits, fct_funnel):
    in DuckDB a view, since analysts read the published file, where the publish writes
    every mart as a table; a table in the build file would write the same rows twice,
    and a weekly run's deletes and inserts twice (docs/incremental.md).  Spark has no
    published file, its marts are its tables: a table there.
-#}
{% macro reshaping_mart_materialization() -%}
    {{- return(adapter.dispatch('reshaping_mart_materialization', 'funnelcast')()) -}}
{%- endmacro %}

{% macro default__reshaping_mart_materialization() -%}{{- return('view') -}}{%- endmacro %}

{% macro spark__reshaping_mart_materialization() -%}{{- return('table') -}}{%- endmacro %}

{#-
    on-run-start: the raw and vocabulary tables.  In DuckDB the loader writes them into
    the build file; for Spark it writes each to a Parquet folder (raw_parquet_dir:
    <dir>/<schema>/<table>/), which this makes the source tables dbt reads.
-#}
{% macro register_raw_tables() -%}
    {{- return(adapter.dispatch('register_raw_tables', 'funnelcast')()) -}}
{%- endmacro %}

{% macro default__register_raw_tables() -%}{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if execute -%}
        {%- set folder = env_var('FUNNELCAST_RAW_PARQUET_DIR', '') -%}
        {%- if not folder -%}
            {{ exceptions.raise_compiler_error(
                "the spark target reads raw from Parquet: set FUNNELCAST_RAW_PARQUET_DIR to the folder the loader "
                ~ "wrote (the raw_parquet_dir setting), which holds raw/<kind>/ and vocabulary/<name>/") }}
        {%- endif -%}
        {%- set tables = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- do tables.append((source.schema, source.name)) -%}
        {%- endfor -%}
        {%- for schema in tables | map(attribute=0) | unique -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for schema, name in tables -%}
            {#- External tables: dropping one leaves its files, and a new load's columns are read again. -#}
            {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ name) -%}
            {%- do run_query('create table ' ~ schema ~ '.' ~ name ~ " using parquet location '"
                ~ folder ~ '/' ~ schema ~ '/' ~ name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
    dbt's own cross-database macros, as DuckDB's adapter has them (dbt_project.yml's
    dispatch puts these before dbt-spark's).  dbt-spark's dateadd and datediff raise an
    error on a null date (DuckDB's give null: an open deal's missing close date) and
    repeat their argument five times, so that dates nested a few deep (week_end inside
    fiscal_quarter_start) compile into hundreds of kilobytes and exhaust the driver's
    memory while planning; its safe_cast is a plain cast, which fails on a bad value
    where DuckDB's try_cast gives null.
-#}

{#- A timestamp, as DuckDB's date + interval: months clamp to the month's last day. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, cast({{ interval }} as bigint), {{ from_date_or_timestamp }})
{%- endmacro %}

{#- Day and second boundaries crossed, as DuckDB's date_diff. -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart == 'second' -%}
        (unix_seconds(cast({{ second_date }} as timestamp)) - unix_seconds(cast({{ first_date }} as timestamp)))
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff by " ~ datepart ~ " has no Spark implementation that agrees with "
            ~ "DuckDB's yet: add it to spark__datediff in macros/spark.sql") }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
