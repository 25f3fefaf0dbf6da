{#- Small helpers shared by the staging models. -#}

{#-
    The hint on a staging model's source and renamed CTEs: latest_versions reads them
    several times, and DuckDB would otherwise copy all of raw into a materialised CTE
    first (5 s instead of 0.8 s for an incremental run over 3 million campaign-log rows,
    where each read only needs the rows loaded since and the keys).  Other warehouses
    inline CTEs or take no hint: nothing.
-#}
{% macro inline_cte() -%}
    {{- return(adapter.dispatch('inline_cte', 'funnelcast')()) -}}
{%- endmacro %}

{% macro default__inline_cte() -%}{%- endmacro %}

{% macro duckdb__inline_cte() -%}not materialized{%- endmacro %}

{#-
    Text as the warehouse wants it: trimmed, and empty means null.  Staging cleans every
    text cell of every raw row, and the change lists every raw key, each week: on DuckDB,
    trim() copies every string (0.5 s for 3 M ids here) and nullif(trim(x), '') calls it
    twice, so a value whose first and last characters are printable ASCII ('!' to '~', which
    trim never removes: it removes spaces and the Unicode space separators) is taken as it
    is, the exact same result at a quarter of the cost (docs/performance.md).
-#}
{% macro clean_text(column) -%}
    {{- return(adapter.dispatch('clean_text', 'funnelcast')(column)) -}}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{% macro duckdb__clean_text(column) -%}
    (case
        when ({{ column }})[1] between '!' and '~' and ({{ column }})[-1] between '!' and '~' then {{ column }}
        else {{ default__clean_text(column) }}
    end)
{%- endmacro %}

{#- A boolean where the export left it empty: empty means false (deleted, converted). -#}
{% macro clean_bool(column) -%}
    coalesce({{ column }}, false)
{%- endmacro %}

{#-
    Rank the versions of one record, latest first (1 = the version in force).
    The contract: the latest date_modified wins; equal versions go to the later drop,
    then the later file and line (deterministic when a drop holds two files of one kind).
    When any version of the record has no version value (its file lacks the optional
    column, or the cell is empty), the record's versions are ordered by drop, file and
    line alone: the later drop wins.  Ranking a missing version below every dated one
    would let the first dated version win for ever over every later delta without the
    column.  Kinds without a version column pass version_column=none: the latest drop wins.
-#}
{% macro version_rank(key_columns, version_column=none) -%}
    {%- set partition = 'partition by ' ~ (key_columns | join(', ')) -%}
    {%- if version_column is none -%}
    row_number() over ({{ partition }} order by source_drop desc, source_file desc, source_line desc)
    {%- else -%}
    case
        when count({{ version_column }}) over ({{ partition }}) = count(*) over ({{ partition }})
            then row_number() over ({{ partition }} order by {{ version_column }} desc, source_drop desc, source_file desc, source_line desc)
        else row_number() over ({{ partition }} order by source_drop desc, source_file desc, source_line desc)
    end
    {%- endif -%}
{%- endmacro %}

{#-
    A record missing from a later full snapshot of its kind is deleted: a mapping with
    `snapshot: true` (Salesforce's weekly Data Export sends the whole org and leaves
    deleted records out) marks its rows source_snapshot.  True when the record's newest
    drop is older than the newest snapshot drop of the kind (over every version loaded,
    also when an incremental run ranks only some records).  Kinds that only get deltas
    (SugarCRM) never have a snapshot, so nothing is dropped.
-#}
{% macro dropped_by_later_snapshot(relation, key_columns) -%}
    coalesce(
        max(source_drop) over (partition by {{ key_columns | join(', ') }})
            < (select max(source_drop) from {{ relation }} where source_snapshot),
        false
    )
{%- endmacro %}

{#-
    The lineage columns every staging model carries from the loader's bookkeeping:
    which drop, file and line a row came from, whether its drop is a full snapshot,
    and when it was loaded (what an incremental run recomputes: macros/incremental.sql).
-#}
{% macro source_lineage_columns() -%}
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line,
        _loaded_at as source_loaded_at
{%- endmacro %}

{#-
    The version of each record in force (version_rank above), leaving out a record a
    later full snapshot no longer holds and, when the kind has a deleted flag, a record
    whose version in force is deleted (a deletion is a version: the latest one decides).
    `relation` is a CTE with the lineage columns (source_lineage_columns).

    In an incremental run (staging_incremental_config) only the records with a version
    loaded since the last complete build are ranked, every version of each, and all of
    them when a new full snapshot came (it can remove any record); the removed ones
    stay, marked is_removed, so that the table's copy of them is deleted
    (macros/incremental.sql: replace_records).
-#}
{% macro latest_versions(relation, key_columns, version_column=none, deleted_column=none) -%}
    {%- set removed -%}
        is_dropped_by_snapshot
        {%- if deleted_column is not none %} or {{ deleted_column }}{% endif %}
    {%- endset -%}
    select *{% if is_incremental() %}, {{ removed }} as is_removed{% endif %}
    from (
        select
            {{ relation }}.*,
            {{ version_rank(key_columns, version_column) }} as version_rank,
            {{ dropped_by_later_snapshot(relation, key_columns) }} as is_dropped_by_snapshot
        from {{ relation }}
        {%- if is_incremental() %}
        -- Two conditions, not one with an or: each is a join DuckDB can hash.
        where exists (
            select 1 from {{ relation }} as loaded
            where loaded.source_loaded_at > {{ loaded_since_last_build() }}
                {%- for key in key_columns %}
                and loaded.{{ key }} is not distinct from {{ relation }}.{{ key }}
                {%- endfor %}
        )
            or exists (
                select 1 from {{ relation }} as loaded
                where loaded.source_loaded_at > {{ loaded_since_last_build() }} and loaded.source_snapshot
            )
        {%- endif %}
    ) as versions
    where version_rank = 1
        {%- if not is_incremental() %}
        and not ({{ removed }})
        {%- endif %}
{%- endmacro %}
