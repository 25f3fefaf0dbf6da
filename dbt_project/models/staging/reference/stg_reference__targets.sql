with

source as (

    select * from {{ source('raw', 'targets') }}

),

renamed as (

    select
        {{ clean_text('user_id') }} as user_id,
        {{ clean_text('fiscal_period') }} as fiscal_period,
        amount as target_amount,
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    -- No version column: a target exported again in a later drop replaces the earlier one.
    select
        renamed.*,
        {{ version_rank(['user_id', 'fiscal_period']) }} as version_rank,
        {{ dropped_by_later_snapshot(['user_id', 'fiscal_period']) }} as is_dropped_by_snapshot
    from renamed

)

select
    user_id,
    fiscal_period,
    target_amount,
    source_drop,
    source_file,
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
