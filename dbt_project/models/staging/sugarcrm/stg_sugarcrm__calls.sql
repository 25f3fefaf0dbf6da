{{ staging_incremental_config(['call_id']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'calls') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as call_id,
        date_start as started_at,
        {{ clean_text('parent_type') }} as parent_type,
        {{ clean_text('parent_id') }} as parent_id,
        {{ clean_text('status') }} as call_status,
        {{ clean_text('assigned_user_id') }} as owner_user_id,
        {{ clean_text('direction') }} as direction,
        {{ clean_bool('deleted') }} as is_deleted,
        date_modified as modified_at,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    {{ latest_versions('renamed', ['call_id'], 'modified_at', deleted_column='is_deleted') }}

)

select
    call_id,
    started_at,
    parent_type,
    parent_id,
    call_status,
    owner_user_id,
    direction,
    modified_at,
    source_drop,
    source_file,
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
