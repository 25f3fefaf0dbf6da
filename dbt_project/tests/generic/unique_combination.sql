{#-
    The grain test: no two rows share the same values of these columns (nulls count
    as a value, so a key part that may be empty is still covered).  Passes when the
    query returns no rows.
-#}
{% test unique_combination(model, combination_of_columns) %}

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as rows_with_this_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

{% endtest %}
