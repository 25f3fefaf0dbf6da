{#-
    The records of raw.<kind> exported twice with the same date_modified but different
    content: the contract cannot say which version wins.  Staging keeps the one from
    the later drop, file and line, deterministically; the tests that call this say it
    had to choose.
-#}
{% macro conflicting_versions(kind) -%}
select '{{ kind }}' as kind, id, date_modified, count(distinct content_hash) as versions
from (
    select id, date_modified, md5(cast(to_json(row_content) as varchar)) as content_hash
    from (
        select * exclude (_drop, _file, _line, _loaded_at) from {{ source('raw', kind) }}
    ) as row_content
)
group by id, date_modified
having count(distinct content_hash) > 1
{%- endmacro %}
