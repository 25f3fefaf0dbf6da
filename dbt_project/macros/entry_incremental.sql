{#-
    Incremental campaign attribution (docs/incremental.md): a weekly refresh recomputes
    the campaign touches and credits of the funnel entries the new drop can reach, not
    of all of them.  int_funnel_entry_builds says which entries a build recomputes;
    int_campaign_touches_sequenced and int_campaign_credits_allocated replace exactly
    their rows (fct_campaign_touches is a view of the touches).
-#}

{#-
    The columns of a funnel entry (int_funnel_milestones) that its touches and credits
    are computed from.  The models keyed by entry read the entries only through
    attributed_entries(), so a column they use and this list lacks is an error, never a
    change int_funnel_entry_builds does not see.
-#}
{% macro attributed_entry_columns() -%}
    {{- return(['entry_id', 'lead_id', 'opportunity_id', 'entered_at', 'campaign_id',
                'mql_at', 'srl_at', 'sql_at', 'won_at', 'amount_reporting']) -}}
{%- endmacro %}

{% macro attributed_entries() -%}
    select {{ attributed_entry_columns() | join(', ') }} from {{ ref('int_funnel_milestones') }}
{%- endmacro %}

{#-
    The subquery of the entries the latest build recomputes (int_funnel_entry_builds):
    in a build, this one (it is recorded when it starts); in a `dbt test` of its own,
    the build before.
-#}
{% macro recomputed_entries_sql(builds_relation) -%}
    select entry_id from {{ builds_relation }}
    where recomputed_by = (select invocation_id from ops.dbt_builds order by started_at desc limit 1)
{%- endmacro %}

{#-
    The models keyed by entry: a run deletes the rows of the entries this build
    recomputes (the pre-hook, rendered when it runs) and appends their new ones.  An
    entry that left the funnel is recomputed too, to no rows: its rows go.
-#}
{% macro entry_incremental_config() -%}
    -- depends_on: {{ ref('int_funnel_entry_builds') }}
    {{ recomputed_keys_incremental_config('entry_id',
        "{% if is_incremental() %}delete from {{ this }} where entry_id in ("
        ~ "{{ recomputed_entries_sql(ref('int_funnel_entry_builds')) }}){% endif %}") }}
{%- endmacro %}

{#- In an incremental run, only the entries this build recomputes. -#}
{% macro only_recomputed_entries(entry_id) -%}
    {%- if is_incremental() %}
    {{ entry_id }} in ({{ recomputed_entries_sql(ref('int_funnel_entry_builds')) }})
    {%- else %}
    true
    {%- endif -%}
{%- endmacro %}

{#-
    The table a model built, read by name, not ref(): int_funnel_entry_builds runs before
    int_campaign_touches_sequenced and reads what it held (a ref would be a cycle); a test's
    filter reads the list its model depends on.  None when it does not exist.
-#}
{% macro built_relation(model_name) -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{- return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)
        if execute else none) -}}
{%- endmacro %}
