{#-
    Which funnel entries a build recomputes the campaign touches and credits of
    (macros/entry_incremental.sql), one row per entry: the entry's columns those are
    computed from (attributed_entry_columns) as of the build that last recomputed it,
    and that build (recomputed_by).  An entry that left the funnel keeps a row with
    null columns, so that its rows downstream go and it is not recomputed again.

    An incremental run recomputes an entry when
    - its columns differ from the ones its rows were built from (a new MQL, a deal won,
      an amount, an entry that came or went);
    - its lead has a campaign-log row or an MQL event loaded since the last complete
      build (every version of a campaign-log record: an earlier one may have named
      another lead), read from raw, since a deleted record has no staging row;
    - one of its touches names a campaign whose name or type is no longer the one its
      rows hold (int_campaign_touches_sequenced as the last build left it);
    - the build that last recomputed it did not complete (it may have stopped before
      the entry's rows were replaced);
    - a full snapshot of the campaign log or the MQL events was loaded since (it can
      remove any record): then every entry.
    A full build recomputes every entry.
-#}
-- depends_on: {{ ref('stg_marketing__campaigns') }}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='entry_id',
    on_schema_change='fail',
) }}
{%- set columns = attributed_entry_columns() -%}
{%- set compared = columns | reject('equalto', 'entry_id') | list -%}

with

entries as (

    {{ attributed_entries() }}

)

{%- if is_incremental() %},

previous as (

    select * from {{ this }}

),

loaded_since as (

    select {{ loaded_since_last_build() }} as loaded_after

),

-- The rows loaded since: a few thousand a week.  The scans of all of raw below only filter
-- (a CTE of every raw row would be copied first: 1.1 s of 1.9 s on large).
campaign_log_loaded as (

    select {{ clean_text('id') }} as record_id, _snapshot as is_snapshot
    from {{ source('raw', 'campaign_log') }}
    where _loaded_at > (select loaded_after from loaded_since)

),

-- The record key of an MQL event holds its lead: every version names the same one.
mql_events_loaded as (

    select {{ clean_text('lead_id') }} as lead_id, _snapshot as is_snapshot
    from {{ source('raw', 'mql_events') }}
    where _loaded_at > (select loaded_after from loaded_since)

),

snapshot_loaded as (

    select count(*) > 0 as any_snapshot
    from (
        select is_snapshot from campaign_log_loaded where is_snapshot
        union all
        select is_snapshot from mql_events_loaded where is_snapshot
    ) as snapshots

),

-- The lead of every version of a campaign-log record loaded since: an earlier version may
-- have named another lead.
touched_leads as (

    select {{ clean_text('target_id') }} as lead_id
    from {{ source('raw', 'campaign_log') }}
    where {{ clean_text('id') }} in (select record_id from campaign_log_loaded)
    union
    select lead_id from mql_events_loaded

),

{%- set previous_touches = built_relation('int_campaign_touches_sequenced') %}

renamed_campaign_entries as (

    {%- if previous_touches is not none %}
    select distinct touches.entry_id
    from {{ previous_touches }} as touches
    left join {{ ref('stg_marketing__campaigns') }} as campaigns
        on campaigns.campaign_id = touches.campaign_id
    where campaigns.campaign_name is distinct from touches.campaign_name
        or campaigns.campaign_type is distinct from touches.channel
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as entry_id
    where false
    {%- endif %}

),

completed_builds as (

    select invocation_id from ops.dbt_builds where completed_at is not null

)

select
    coalesce(entries.entry_id, previous.entry_id) as entry_id,
    {%- for column in compared %}
    entries.{{ column }},
    {%- endfor %}
    '{{ invocation_id }}' as recomputed_by
from entries
full outer join previous
    on previous.entry_id = entries.entry_id
where (select any_snapshot from snapshot_loaded)
    or previous.entry_id is null
    or previous.recomputed_by not in (select invocation_id from completed_builds)
    {%- for column in compared %}
    or entries.{{ column }} is distinct from previous.{{ column }}
    {%- endfor %}
    or entries.lead_id in (select lead_id from touched_leads)
    or coalesce(entries.entry_id, previous.entry_id) in (select entry_id from renamed_campaign_entries)

{%- else %}

select
    {%- for column in columns %}
    entries.{{ column }},
    {%- endfor %}
    '{{ invocation_id }}' as recomputed_by
from entries
{%- endif %}
