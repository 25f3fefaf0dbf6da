with

source as (

    select * from {{ source('raw', 'currency_rates') }}

),

renamed as (

    select
        upper({{ clean_text('currency_id') }}) as currency_id,
        {{ adapter.quote('date') }} as valid_from,
        rate,
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    -- No version column: a rate exported again in a later drop replaces the earlier one.
    select
        renamed.*,
        {{ version_rank(['currency_id', 'valid_from']) }} as version_rank,
        {{ dropped_by_later_snapshot(['currency_id', 'valid_from']) }} as is_dropped_by_snapshot
    from renamed

)

select
    currency_id,
    valid_from,
    rate,
    source_drop,
    source_file,
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
