with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'campaigns') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as campaign_id,
        {{ clean_text('name') }} as campaign_name,
        {{ clean_text('campaign_type') }} as campaign_type,
        {{ clean_text('status') }} as campaign_status,
        start_date,
        end_date,
        budget,
        actual_cost,
        upper({{ clean_text('currency_id') }}) as currency_id,
        date_modified as modified_at,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    {{ latest_versions('renamed', ['campaign_id'], 'modified_at') }}

)

select
    campaign_id,
    campaign_name,
    campaign_type,
    campaign_status,
    start_date,
    end_date,
    budget,
    actual_cost,
    currency_id,
    modified_at,
    source_drop,
    source_file,
    source_line,
    source_loaded_at

from latest
