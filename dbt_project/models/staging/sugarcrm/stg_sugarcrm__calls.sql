with

source as (

    select * from {{ source('raw', 'calls') }}

),

renamed as (

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
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    select
        renamed.*,
        {{ version_rank(['call_id'], 'modified_at') }} as version_rank,
        {{ dropped_by_later_snapshot(['call_id']) }} as is_dropped_by_snapshot
    from renamed

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
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
    and not is_deleted
