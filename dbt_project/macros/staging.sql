{#- Small helpers shared by the staging models. -#}

{#- Text as the warehouse wants it: trimmed, and empty means null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- A boolean where the export left it empty: empty means false (deleted, converted). -#}
{% macro clean_bool(column) -%}
    coalesce({{ column }}, false)
{%- endmacro %}

{#-
    Rank the versions of one record, latest first (1 = the version in force).
    The contract: the latest date_modified wins; equal or missing versions go to
    the later drop, then the later file and line (deterministic
    when a drop holds two files of one kind).  A row without date_modified
    ranks below any row that has one.  Kinds without a version column pass
    version_column=none: the latest drop wins.
-#}
{% macro version_rank(key_columns, version_column=none) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by
            {%- if version_column is not none %} {{ version_column }} desc nulls last,{% endif %}
            source_drop desc,
            source_file desc,
            source_line desc
    )
{%- endmacro %}

{#-
    A record missing from a later full snapshot of its kind is deleted: a mapping with
    `snapshot: true` (Salesforce's weekly Data Export sends the whole org and leaves
    deleted records out) marks its rows source_snapshot.  True when the record's newest
    drop is older than the newest snapshot drop of the kind.  Kinds that only get deltas
    (SugarCRM) never have a snapshot, so nothing is dropped.
-#}
{% macro dropped_by_later_snapshot(key_columns) -%}
    coalesce(
        max(source_drop) over (partition by {{ key_columns | join(', ') }})
            < max(case when source_snapshot then source_drop end) over (),
        false
    )
{%- endmacro %}
