{{ staging_incremental_config(['lead_id', 'event_type', 'event_at']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'mql_events') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('lead_id') }} as lead_id,
        {{ clean_text('event_type') }} as event_type,
        event_at,
        score,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    -- The record key is the whole event (lead, type, time); no version column:
    -- an event exported again in a later drop replaces the earlier copy.
    {{ latest_versions('renamed', ['lead_id', 'event_type', 'event_at']) }}

)

select
    lead_id,
    event_type,
    event_at,
    score,
    campaign_id,
    source_drop,
    source_file,
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
