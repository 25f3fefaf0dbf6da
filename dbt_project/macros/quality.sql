{#-
    The records of raw.<kind> exported twice with the same date_modified but different
    content: the contract cannot say which version wins.  Staging keeps the one from
    the later drop, file and line, deterministically; the tests that call this say it
    had to choose.  The content is every column but where the row came from.
-#}
{% macro conflicting_versions(kind) -%}
{%- set relation = source('raw', kind) -%}
{%- set content = source_columns_except('raw', kind, ['_drop', '_file', '_line', '_loaded_at']) or ['id'] -%}
select '{{ kind }}' as kind, id, date_modified, count(distinct content_hash) as versions
from (
    select id, date_modified, md5({{ row_json(content) }}) as content_hash
    from {{ relation }}
) as row_content
group by id, date_modified
having count(distinct content_hash) > 1
{%- endmacro %}
