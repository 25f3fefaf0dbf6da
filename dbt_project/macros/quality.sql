{#-
    The records of raw.<kind> exported twice with the same date_modified but different
    content: the contract cannot say which version wins.  Staging keeps the one from
    the later drop, file and line, deterministically; the tests that call this say it
    had to choose.  The content is every column but where the row came from.

    Only the (id, date_modified) pairs that have a version loaded since the last complete
    build are compared, with every version of the pair: two versions loaded before were
    compared by the build that loaded the later one.  A full refresh, or a build after
    none completed, compares every pair (loaded_since_last_build is then the start of time).
-#}
{% macro conflicting_versions(kind) -%}
{%- set relation = source('raw', kind) -%}
{%- set content = source_columns_except('raw', kind, ['_drop', '_file', '_line', '_loaded_at']) or ['id'] -%}
with

pairs_loaded as (

    select distinct id, date_modified
    from {{ relation }}
    where _loaded_at > {{ loaded_since_last_build() }}

),

-- Every version of those pairs (only the raw table's columns, which the content lists).
versions as (

    select raw_versions.*
    from {{ relation }} as raw_versions
    inner join pairs_loaded
        on pairs_loaded.id is not distinct from raw_versions.id
        and pairs_loaded.date_modified is not distinct from raw_versions.date_modified

)

select '{{ kind }}' as kind, id, date_modified, count(distinct content_hash) as versions
from (
    select id, date_modified, md5({{ row_json(content) }}) as content_hash
    from versions
) as row_content
group by id, date_modified
having count(distinct content_hash) > 1
{%- endmacro %}
