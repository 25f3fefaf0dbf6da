{{ staging_incremental_config(['campaign_log_id']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'campaign_log') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as campaign_log_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('target_type') }} as target_type,
        {{ clean_text('target_id') }} as target_id,
        {{ clean_text('activity_type') }} as activity_type,
        activity_date as activity_at,
        {{ clean_text('related_type') }} as related_type,
        {{ clean_text('related_id') }} as related_id,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    -- No version column: the latest drop wins.
    {{ latest_versions('renamed', ['campaign_log_id']) }}

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
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
