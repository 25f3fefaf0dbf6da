{#-
    Where the history behind an aggregated figure came from: 'audit_log' or 'derived'
    when every deal in it has that history source, 'mixed' otherwise (a derived
    history knows fewer changes: docs/mappings.md, "What a derived history cannot tell").
-#}
{% macro history_source_of(column) -%}
    case when min({{ column }}) = max({{ column }}) then min({{ column }}) else 'mixed' end
{%- endmacro %}
