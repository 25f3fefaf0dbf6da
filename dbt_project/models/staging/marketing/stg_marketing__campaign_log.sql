with

source as (

    select * from {{ source('raw', 'campaign_log') }}

),

renamed as (

    select
        {{ clean_text('id') }} as campaign_log_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('target_type') }} as target_type,
        {{ clean_text('target_id') }} as target_id,
        {{ clean_text('activity_type') }} as activity_type,
        activity_date as activity_at,
        {{ clean_text('related_type') }} as related_type,
        {{ clean_text('related_id') }} as related_id,
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    -- No version column: the latest drop wins.
    select
        renamed.*,
        {{ version_rank(['campaign_log_id']) }} as version_rank,
        {{ dropped_by_later_snapshot(['campaign_log_id']) }} as is_dropped_by_snapshot
    from renamed

)

select
    campaign_log_id,
    campaign_id,
    target_type,
    target_id,
    activity_type,
    activity_at,
    related_type,
    related_id,
    source_drop,
    source_file,
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
