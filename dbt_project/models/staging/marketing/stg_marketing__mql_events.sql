with

source as (

    select * from {{ source('raw', 'mql_events') }}

),

renamed as (

    select
        {{ clean_text('lead_id') }} as lead_id,
        {{ clean_text('event_type') }} as event_type,
        event_at,
        score,
        {{ clean_text('campaign_id') }} as campaign_id,
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    -- The record key is the whole event (lead, type, time); no version column:
    -- an event exported again in a later drop replaces the earlier copy.
    select
        renamed.*,
        {{ version_rank(['lead_id', 'event_type', 'event_at']) }} as version_rank,
        {{ dropped_by_later_snapshot(['lead_id', 'event_type', 'event_at']) }} as is_dropped_by_snapshot
    from renamed

)

select
    lead_id,
    event_type,
    event_at,
    score,
    campaign_id,
    source_drop,
    source_file,
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
