{#-
    Models land in exactly the schema their folder configures (staging,
    intermediate, marts, seeds), not dbt's default <target schema>_<custom>: the
    published file is what analysts open, and its schema names are part of its API.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
