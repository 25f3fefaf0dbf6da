{#-
    Incremental funnel entries (docs/incremental.md): a weekly refresh recomputes the
    leads and funnel entries the new drop can reach, not all of them.
    int_changed_leads lists the leads whose own milestones a load can change
    (int_lead_milestones replaces their rows); int_changed_funnel_entries the entries
    int_funnel_milestones replaces.
-#}

{#-
    A funnel entry's id: 'lead:<lead id>' for a lead (it enters at MQL), 'opportunity:<id>'
    for an opportunity no lead was converted into (it enters at SRL).
-#}
{% macro funnel_entry_id(entry_kind, id_column) -%}
    {{ dbt.concat(["'" ~ entry_kind ~ ":'", id_column]) }}
{%- endmacro %}

{#- int_lead_milestones: a run deletes the rows of the leads int_changed_leads lists and appends their new ones. -#}
{% macro lead_incremental_config() -%}
    -- depends_on: {{ ref('int_changed_leads') }}
    {{ recomputed_keys_incremental_config('lead_id', listed_keys_deleted_hook('lead_id', 'int_changed_leads'),
        'int_changed_leads') }}
{%- endmacro %}

{#- int_funnel_milestones: the same, for the entries int_changed_funnel_entries lists. -#}
{% macro funnel_entry_incremental_config() -%}
    -- depends_on: {{ ref('int_changed_funnel_entries') }}
    {{ recomputed_keys_incremental_config('entry_id', listed_keys_deleted_hook('entry_id', 'int_changed_funnel_entries'),
        'int_changed_funnel_entries') }}
{%- endmacro %}
