{#-
    Incremental builds: a weekly refresh recomputes what the new drop can reach, not
    all of history (docs/performance.md).

    The build record (ops.dbt_builds, Funnelcast's bookkeeping, never published) holds
    one row per `dbt build`/`dbt run`: the fingerprint of what the models mean (their
    code and macros, the vars, the vocabularies), the newest raw load it started from,
    and when it completed.  A build completes when every model of the project was
    built without error.

    - The watermark (loaded_since_last_build) is the newest raw load of the last
      completed build: raw rows loaded after it are what changed.  A failed build
      does not move it, so the next one recomputes its changes again (every
      incremental model replaces the rows of the keys it recomputes: doing it twice
      gives the same rows).
    - When the fingerprint differs from the last completed build's, or from any
      build started since, the incremental tables were built by other rules: the
      build drops them first and so builds them from raw, as `--full-refresh` does.
-#}

{#- What the models mean: every node's checksum, every macro of the project, the vars given. -#}
{% macro models_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {%- for name in context.keys() | sort -%}
        {%- set candidate = context[name] -%}
        {%- if candidate.macro is defined and candidate.macro.package_name == project_name -%}
            {%- do parts.append(name ~ ':' ~ candidate.macro.macro_sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do parts.append(tojson(invocation_args_dict.get('vars') or {}, sort_keys=true)) -%}
    {{- return(local_md5(parts | join('\n'))) -}}
{%- endmacro %}

{#- The vocabularies' content, as SQL: loaded before every build, they change what a row means. -#}
{% macro vocabularies_fingerprint_sql() -%}
    md5(concat_ws('|',
        {%- for table in ['stage_map', 'forecast_category_map', 'opportunity_type_map'] %}
        (select coalesce(string_agg(cast(vocabulary_row as {{ dbt.type_string() }}), ';'
            order by cast(vocabulary_row as {{ dbt.type_string() }})), '')
         from vocabulary.{{ table }} as vocabulary_row){{ ',' if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{#-
    Whether this invocation keeps the build record: a `dbt build` or `dbt run` that executes,
    on a warehouse with incremental models (the record is what they are incremental from).
-#}
{% macro keeps_build_record() -%}
    {{- return(execute and flags.WHICH in ('build', 'run') and incremental_supported()) -}}
{%- endmacro %}

{#- The build record's table (also run by itself: `dbt run-operation create_build_record_table`). -#}
{% macro create_build_record_table() %}
    {%- call statement('build_record_table', auto_begin=False) -%}
        create schema if not exists ops;
        create table if not exists ops.dbt_builds (
            invocation_id {{ dbt.type_string() }} primary key,
            fingerprint {{ dbt.type_string() }} not null,
            raw_loaded_through {{ dbt.type_timestamp() }},
            started_at {{ dbt.type_timestamp() }} not null,
            completed_at {{ dbt.type_timestamp() }}
        )
    {%- endcall -%}
{% endmacro %}

{#- on-run-start: record this build; drop the incremental tables another fingerprint built. -#}
{% macro begin_build_record() %}
    {%- if keeps_build_record() -%}
        {%- do create_build_record_table() -%}
        {%- call statement('build_record_started', auto_begin=False) -%}
            insert into ops.dbt_builds (invocation_id, fingerprint, raw_loaded_through, started_at)
            select
                '{{ invocation_id }}',
                md5('{{ models_fingerprint() }}' || {{ vocabularies_fingerprint_sql() }}),
                (select max(loaded_at) from raw.load_log),
                now();
        {%- endcall -%}
        {%- set stale = run_query("
            select count(*) from ops.dbt_builds as build
            cross join (select fingerprint from ops.dbt_builds where invocation_id = '" ~ invocation_id ~ "') as current_build
            where build.started_at >= coalesce(
                    (select max(started_at) from ops.dbt_builds where completed_at is not null), timestamp '0001-01-01')
                and build.fingerprint <> current_build.fingerprint
        ").columns[0].values()[0] -%}
        {%- set never_completed = run_query(
            "select count(*) = 0 from ops.dbt_builds where completed_at is not null").columns[0].values()[0] -%}
        {%- if stale > 0 and not never_completed -%}
            {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
                {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
                {%- if relation is not none -%}
                    {{ log("rebuilding " ~ relation ~ " from raw: the models, vars or vocabularies changed since the last complete build", info=true) }}
                    {%- do adapter.drop_relation(relation) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- on-run-end: the build completed when every model of the project was built without error. -#}
{% macro complete_build_record(results) %}
    {%- if keeps_build_record() -%}
        {%- set built = [] -%}
        {%- for result in results if result.node.resource_type == 'model' and result.status == 'success' -%}
            {%- do built.append(result.node.unique_id) -%}
        {%- endfor -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'skipped', 'runtime error']) | list -%}
        {%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
            | rejectattr('config.materialized', 'equalto', 'ephemeral') | map(attribute='unique_id') | list -%}
        {%- if not failed and models | reject('in', built) | list | length == 0 -%}
            {%- call statement('build_record_completed', auto_begin=False) -%}
                update ops.dbt_builds set completed_at = now() where invocation_id = '{{ invocation_id }}'
            {%- endcall -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#-
    The newest raw load the last completed build included: what changed is what was
    loaded after it.  The start of time (everything changed) before any complete build,
    on `--full-refresh`, and when the last complete build had another fingerprint (its
    incremental tables were dropped: begin_build_record), and always where the warehouse
    builds no incremental models (macros/spark.sql).
-#}
{% macro loaded_since_last_build() -%}
    {%- if not incremental_supported() -%}
    {{- return("cast('0001-01-01' as " ~ dbt.type_timestamp() ~ ")") -}}
    {%- endif %}
    coalesce(
        (select last_build.raw_loaded_through
         from ops.dbt_builds as last_build
         inner join ops.dbt_builds as this_build
            on this_build.invocation_id = '{{ invocation_id }}'
            and this_build.fingerprint = last_build.fingerprint
         where last_build.completed_at = (select max(completed_at) from ops.dbt_builds)
            {%- if flags.FULL_REFRESH %}
            and false
            {%- endif %}),
        cast('0001-01-01' as {{ dbt.type_timestamp() }})
    )
{%- endmacro %}

{#-
    Every raw version of a kind, for the lists of what a load since the last complete build
    reached (int_changed_opportunities, int_changed_leads): `columns` as (name, raw column)
    pairs, cleaned as staging cleans ids, and when and how each version was loaded.
-#}
{% macro raw_versions(table, columns) -%}
    select
        {%- for name, column in columns %}
        {{ clean_text(column) }} as {{ name }},
        {%- endfor %}
        _loaded_at as loaded_at,
        _snapshot as is_snapshot
    from {{ source('raw', table) }}
{%- endmacro %}

{#-
    Tests that cost what they prove (docs/performance.md). A row-local test (not_null,
    not_null_columns, accepted_values) and a uniqueness test whose grain holds the
    record key can only fail on the rows a build wrote: on an incremental table they
    check those rows only. The rows are those of the records loaded since the last
    complete build (staging), of int_changed_opportunities (the models keyed by
    opportunity that replace whole opportunities), or of the entries
    int_funnel_entry_builds says the latest build recomputes (the models keyed by entry:
    macros/entry_incremental.sql). A view of such a model (a reshaping mart, whose meta
    names the same recomputed_key) holds the same rows, so its tests check the same
    rows of it. Everything else (relationships, the singular tests,
    every test on the other models) checks the whole table every week; on a full refresh
    every test checks everything, since loaded_since_last_build is then the start of
    time.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set test_name = model.test_metadata.name if model.test_metadata else none -%}
    {%- set written = none -%}
    {%- if tested is not none and tested.config.materialized in ('incremental', 'view')
        and test_name in ('not_null', 'not_null_columns', 'accepted_values', 'unique', 'unique_combination') -%}
        {%- if tested.config.materialized == 'incremental' and tested.config.incremental_strategy == 'replace_records' -%}
            {%- set written = 'source_loaded_at > ' ~ loaded_since_last_build() -%}
        {%- elif tested.config.materialized == 'view' or tested.config.incremental_strategy == 'append' -%}
            {%- set written = recomputed_rows_filter(tested) -%}
        {%- endif -%}
    {%- endif -%}
    {%- set filters = [where] if where else [] -%}
    {%- if written is not none -%}{%- do filters.append(written) -%}{%- endif -%}
    {%- if filters -%}
        {{- return('(select * from ' ~ relation ~ ' where (' ~ (filters | join(') and (')) ~ ')) as dbt_subquery') -}}
    {%- else -%}
        {{- return(relation) -}}
    {%- endif -%}
{%- endmacro %}

{#-
    The rows a build rewrote of a model that replaces whole keys (its meta's recomputed_key:
    opportunity_id, lead_id or entry_id), or of a view of one, as a filter on `column` (the key
    column, qualified where a query joins): `column in (the keys this build recomputed)`.
    The keys are the list the meta's recomputed_list names (int_changed_opportunities,
    int_changed_leads, int_changed_funnel_entries), or for the campaign attribution's
    models the entries int_funnel_entry_builds marks with the latest build.
    The lists are read by name, not ref(): a test does not depend on the list, the model
    it tests does. None, so that the whole table is read, when the model has no
    recomputed_key or the list does not exist (a build that selected only some models may
    not have built it). On a full build the lists hold every key.
-#}
{% macro recomputed_rows_filter(node, column=none) -%}
    {%- set meta = node.config.meta or {} -%}
    {%- set recomputed_key = meta.get('recomputed_key') -%}
    {%- set column = column or recomputed_key -%}
    {%- if meta.get('recomputed_list') -%}
        {%- set listed_relation = built_relation(meta.get('recomputed_list')) -%}
        {%- if listed_relation is not none -%}
            {{- return(column ~ " in (select " ~ recomputed_key ~ " from " ~ listed_relation ~ ")") -}}
        {%- endif -%}
    {%- elif recomputed_key == 'entry_id' -%}
        {%- set builds_relation = built_relation('int_funnel_entry_builds') -%}
        {%- if builds_relation is not none -%}
            {{- return(column ~ " in (" ~ recomputed_entries_sql(builds_relation) ~ ")") -}}
        {%- endif -%}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}

{#-
    The strategy of the incremental staging models: the model's rows are the version
    in force of every record the new loads touched, each marked is_removed when that
    version is deleted or a later snapshot left it out; the table's rows of those
    records are replaced by the ones not removed.
-#}
{% macro get_incremental_replace_records_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] if arg_dict['unique_key'] is not string else [arg_dict['unique_key']] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }} as kept
    where exists (
        select 1 from {{ temp }} as touched
        where {% for key in keys %}touched.{{ key }} is not distinct from kept.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    );
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }} where not is_removed
{% endmacro %}

{#- The config of an incremental staging model keyed by key_columns. -#}
{% macro staging_incremental_config(key_columns) -%}
    {{ config(materialized=incremental_materialization(), incremental_strategy='replace_records', unique_key=key_columns) }}
{%- endmacro %}

{#- The marker column of an incremental staging run (nothing in a full build, which leaves removed records out). -#}
{% macro removal_marker() -%}
    {%- if is_incremental() %},
    is_removed{% endif -%}
{%- endmacro %}

{#-
    The pre-hook of an incremental model that replaces the keys a list model names (its
    `key` column): an incremental run first deletes their rows (rendered when the hook
    runs, so is_incremental() and the list are the model's at that time).
-#}
{% macro listed_keys_deleted_hook(key, list_model) -%}
    {{- return("{% if is_incremental() %}delete from {{ this }} where " ~ key ~ " in ("
        ~ "select " ~ key ~ " from {{ ref('" ~ list_model ~ "') }}){% endif %}") -}}
{%- endmacro %}

{#- In an incremental run, only the rows of the keys list_model names (its `key` column). -#}
{% macro only_listed_keys(column, key, list_model) -%}
    {%- if is_incremental() %}
    {{ column }} in (select {{ key }} from {{ ref(list_model) }})
    {%- else %}
    true
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of every incremental model keyed by opportunity: int_changed_opportunities' rows go first. -#}
{% macro changed_opportunities_deleted_hook() -%}
    {{- return(listed_keys_deleted_hook('opportunity_id', 'int_changed_opportunities')) -}}
{%- endmacro %}

{#-
    Models keyed by opportunity (changes, stage visits, states): a run recomputes the
    opportunities int_changed_opportunities lists and replaces their rows (the pre-hook
    deletes them, the model appends the new ones).
-#}
{% macro opportunity_incremental_config() -%}
    -- depends_on: {{ ref('int_changed_opportunities') }}
    {{ recomputed_keys_incremental_config('opportunity_id', changed_opportunities_deleted_hook(), 'int_changed_opportunities') }}
{%- endmacro %}

{#-
    The config of a model that replaces whole keys (opportunities, leads, funnel entries):
    the pre-hook deletes the rows of the keys a run recomputes, the model appends their new
    ones.  recomputed_key (and recomputed_list, the model listing the keys) tell
    get_where_subquery which rows the row-local tests read.
-#}
{% macro recomputed_keys_incremental_config(recomputed_key, deleted_hook, recomputed_list=none) -%}
    {%- set meta = {'recomputed_key': recomputed_key} -%}
    {%- if recomputed_list -%}{%- do meta.update({'recomputed_list': recomputed_list}) -%}{%- endif -%}
    {{ config(
        materialized=incremental_materialization(),
        incremental_strategy='append',
        meta=meta,
        pre_hook=deleted_hook,
    ) }}
{%- endmacro %}

{#- In an incremental run, only the opportunities whose rows are recomputed. -#}
{% macro only_changed_opportunities(opportunity_id) -%}
    {{- only_listed_keys(opportunity_id, 'opportunity_id', 'int_changed_opportunities') -}}
{%- endmacro %}

{#-
    The as-of models (rows by opportunity x day: int_opportunity_weekly_state and
    int_pipeline_movement_lines by week end,
    int_opportunity_period_end_state and fct_pipeline_period_end by period end): a
    run recomputes every day of the opportunities int_changed_opportunities lists (the
    pre-hook deletes their rows) and every opportunity's days from
    as_of_recompute_from() on, replacing them on the grain.  Earlier days of the other
    opportunities cannot change: their state intervals did not, and the days only grow.
-#}
{% macro as_of_incremental_config(day_column) -%}
    -- depends_on: {{ ref('int_changed_opportunities') }}, {{ ref('stg_reference__currency_rates') }}
    {{ config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key=['opportunity_id', day_column],
        on_schema_change='fail',
        pre_hook=changed_opportunities_deleted_hook(),
    ) }}
{%- endmacro %}

{#-
    The first day an as-of model recomputes for every opportunity: the last day it holds
    (the spine's end moves on; an open deal gets its new days), or the first of its days
    on or after the earliest currency rate loaded since the last complete build (a rate
    changes the amounts of the days it is valid in; `rate_day` turns a rate's first day
    into the model's day, e.g. its week end), whichever is earlier.  A full build: the
    start of time.
-#}
{% macro as_of_recompute_from(day_column, rate_day=none) -%}
    {%- if is_incremental() -%}
    {%- set first_rate_day = 'min(valid_from)' if rate_day is none else rate_day('min(valid_from)') -%}
    least(
        (select coalesce(max({{ day_column }}), cast('0001-01-01' as date)) from {{ this }}),
        coalesce(
            (select {{ first_rate_day }} from {{ ref('stg_reference__currency_rates') }}
             where source_loaded_at > {{ loaded_since_last_build() }}),
            cast('9999-12-31' as date)
        )
    )
    {%- else -%}
    cast('0001-01-01' as date)
    {%- endif -%}
{%- endmacro %}
