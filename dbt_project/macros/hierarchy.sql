{#-
    The week end `day` falls in the hierarchy period of `relation` (its columns
    hierarchy_valid_from, inclusive, and hierarchy_valid_to, exclusive; null = open):
    the chain a roll-up of that week uses (var hierarchy_as_of, int_sales_hierarchy).
-#}
{% macro in_hierarchy_period(day, relation) -%}
    ({{ relation }}.hierarchy_valid_from is null or {{ relation }}.hierarchy_valid_from <= {{ day }})
    and ({{ relation }}.hierarchy_valid_to is null or {{ day }} < {{ relation }}.hierarchy_valid_to)
{%- endmacro %}
