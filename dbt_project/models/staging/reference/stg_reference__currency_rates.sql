with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'currency_rates') }}

),

renamed as {{ inline_cte() }} (

    select
        upper({{ clean_text('currency_id') }}) as currency_id,
        {{ adapter.quote('date') }} as valid_from,
        rate,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    -- No version column: a rate exported again in a later drop replaces the earlier one.
    {{ latest_versions('renamed', ['currency_id', 'valid_from']) }}

)

select
    currency_id,
    valid_from,
    rate,
    source_drop,
    source_file,
    source_line,
    source_loaded_at

from latest
