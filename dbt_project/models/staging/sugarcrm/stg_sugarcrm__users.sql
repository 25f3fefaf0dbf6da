with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'users') }}

),

renamed as {{ inline_cte() }} (

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
        {{ source_lineage_columns() }}

    from source

),

latest as (

    {{ latest_versions('renamed', ['user_id'], 'modified_at') }}

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
    source_line,
    source_loaded_at

from latest
