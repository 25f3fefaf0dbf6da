{#-
    SQL that DuckDB and Spark write differently, one macro each (docs/scale-out.md lists
    them).  A model calls the macro and never forks; dbt's own cross-database macros
    (dbt.datediff, dbt.dateadd, dbt.type_string, ...) cover the rest.  A warehouse
    without an implementation fails at compile time, naming the macro, rather than
    running SQL it may read differently.
-#}

{% macro _not_ported(name) -%}
    {{ exceptions.raise_compiler_error(name ~ " has no implementation for the " ~ target.type
        ~ " adapter: add " ~ target.type ~ "__" ~ name ~ " to macros/portable.sql") }}
{%- endmacro %}

{#-
    The columns of a raw source but the excluded ones (`select * exclude (...)` in DuckDB;
    Spark has no such star), in the order _sources.yml lists them: read from dbt's graph,
    not the warehouse, so that SQL compiled before anything is built (`dbt compile`, the
    benchmark's floor) is the SQL a build runs.  _sources.yml is rendered from the export
    contract, which lists every column (models document only some: list theirs by name).
-#}
{% macro source_columns_except(source_name, table_name, excluded) -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- set excluded_names = excluded | map('lower') | list -%}
        {%- set node = graph.sources.get('source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name) -%}
        {%- if node is none or not node.columns -%}
            {{ exceptions.raise_compiler_error("source_columns_except: no documented source " ~ source_name ~ "." ~ table_name) }}
        {%- endif -%}
        {%- for name in node.columns.keys() if name | lower not in excluded_names -%}
            {%- do names.append(name) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(names) -}}
{%- endmacro %}

{#- A row's columns as one JSON text, to compare whole rows by a hash of their content. -#}
{% macro row_json(columns) -%}
    {{- return(adapter.dispatch('row_json', 'funnelcast')(columns)) -}}
{%- endmacro %}

{% macro default__row_json(columns) -%}{{ _not_ported('row_json') }}{%- endmacro %}

{% macro duckdb__row_json(columns) -%}
    cast(to_json(struct_pack({% for column in columns %}{{ adapter.quote(column) }} := {{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %})) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__row_json(columns) -%}
    to_json(named_struct({% for column in columns %}'{{ column }}', {{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}))
{%- endmacro %}

{#- In a select list: one row per integer from start to stop (both included). -#}
{% macro integer_series(start, stop) -%}
    {{- return(adapter.dispatch('integer_series', 'funnelcast')(start, stop)) -}}
{%- endmacro %}

{% macro default__integer_series(start, stop) -%}{{ _not_ported('integer_series') }}{%- endmacro %}

{% macro duckdb__integer_series(start, stop) -%}
    unnest(generate_series(cast({{ start }} as bigint), cast({{ stop }} as bigint)))
{%- endmacro %}

{% macro spark__integer_series(start, stop) -%}
    explode(sequence(cast({{ start }} as bigint), cast({{ stop }} as bigint)))
{%- endmacro %}

{#- In a select list: one row per day from start to stop (both included), as dates. -#}
{% macro day_series(start, stop) -%}
    {{- return(adapter.dispatch('day_series', 'funnelcast')(start, stop)) -}}
{%- endmacro %}

{% macro default__day_series(start, stop) -%}{{ _not_ported('day_series') }}{%- endmacro %}

{#- DuckDB's series of dates is of timestamps. -#}
{% macro duckdb__day_series(start, stop) -%}
    cast(unnest(generate_series(cast({{ start }} as date), cast({{ stop }} as date), interval 1 day)) as date)
{%- endmacro %}

{% macro spark__day_series(start, stop) -%}
    explode(sequence(cast({{ start }} as date), cast({{ stop }} as date), interval 1 day))
{%- endmacro %}

{#- The ISO day of the week of a date: Monday = 1 ... Sunday = 7. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{- return(adapter.dispatch('iso_day_of_week', 'funnelcast')(date_expr)) -}}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}{{ _not_ported('iso_day_of_week') }}{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_expr) -%}extract(isodow from {{ date_expr }}){%- endmacro %}

{% macro spark__iso_day_of_week(date_expr) -%}extract(dayofweek_iso from {{ date_expr }}){%- endmacro %}

{#- A window function (add `over ...`): the last non-null value of expr in the frame. -#}
{% macro last_non_null(expr) -%}
    {{- return(adapter.dispatch('last_non_null', 'funnelcast')(expr)) -}}
{%- endmacro %}

{% macro default__last_non_null(expr) -%}{{ _not_ported('last_non_null') }}{%- endmacro %}

{% macro duckdb__last_non_null(expr) -%}last_value({{ expr }} ignore nulls){%- endmacro %}

{% macro spark__last_non_null(expr) -%}last_value({{ expr }}, true){%- endmacro %}
