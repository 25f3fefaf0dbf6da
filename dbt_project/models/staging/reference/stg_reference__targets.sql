with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'targets') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('user_id') }} as user_id,
        {{ clean_text('fiscal_period') }} as fiscal_period,
        amount as target_amount,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    -- No version column: a target exported again in a later drop replaces the earlier one.
    {{ latest_versions('renamed', ['user_id', 'fiscal_period']) }}

)

select
    user_id,
    fiscal_period,
    target_amount,
    source_drop,
    source_file,
    source_line,
    source_loaded_at

from latest
