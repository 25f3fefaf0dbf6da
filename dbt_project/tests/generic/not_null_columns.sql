{#-
    The not-null test of a model's columns in one node and one scan: one aggregate counts
    the nulls of every column listed, and the test returns one row per column that has
    any (column_name, null_rows), so a failure (and --store-failures) says which column.
    Passes when the query returns no rows; an empty model passes.  A model lists its
    never-null columns in one model-level test (one dbt node costs about as much as the
    scan); a column whose test needs its own config (severity, where) keeps a plain
    not_null.  The tested columns are cross-joined with the one row of counts, not one
    union branch per column, so every engine reads the model once.
-#}
{% test not_null_columns(model, column_names) %}
    {%- if not column_names -%}
        {{ exceptions.raise_compiler_error("not_null_columns on " ~ model ~ ": column_names is empty") }}
    {%- endif %}

    with null_counts as (
        select
        {%- for column in column_names %}
            sum(case when {{ column }} is null then 1 else 0 end) as null_rows_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ model }}
    ),

    tested_columns as (
        {%- for column in column_names %}
        select {{ loop.index }} as column_position, cast('{{ column }}' as {{ dbt.type_string() }}) as column_name
        {{- ' union all' if not loop.last }}
        {%- endfor %}
    ),

    column_nulls as (
        select
            tested_columns.column_name,
            case tested_columns.column_position
            {%- for column in column_names %}
                when {{ loop.index }} then null_counts.null_rows_{{ loop.index }}
            {%- endfor %}
            end as null_rows
        from null_counts
        cross join tested_columns
    )

    select column_name, null_rows
    from column_nulls
    where null_rows > 0

{% endtest %}
