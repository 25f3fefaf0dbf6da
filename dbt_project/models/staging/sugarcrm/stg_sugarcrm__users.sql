with

source as (

    select * from {{ source('raw', 'users') }}

),

renamed as (

    select
        {{ clean_text('id') }} as user_id,
        {{ clean_text('user_name') }} as user_name,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('title') }} as title,
        {{ clean_text('department') }} as department,
        {{ clean_text('reports_to_id') }} as reports_to_user_id,
        {{ clean_text('status') }} as user_status,
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
        {{ version_rank(['user_id'], 'modified_at') }} as version_rank,
        {{ dropped_by_later_snapshot(['user_id']) }} as is_dropped_by_snapshot
    from renamed

)

-- The users file has no deleted flag: an inactive user keeps its row (status).
select
    user_id,
    user_name,
    first_name,
    last_name,
    title,
    department,
    reports_to_user_id,
    user_status,
    modified_at,
    source_drop,
    source_file,
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
