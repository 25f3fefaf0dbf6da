{{ staging_incremental_config(['account_id']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'accounts') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as account_id,
        {{ clean_text('name') }} as account_name,
        date_entered as created_at,
        date_modified as modified_at,
        {{ clean_bool('deleted') }} as is_deleted,
        {{ clean_text('account_type') }} as account_type,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('annual_revenue') }} as annual_revenue,
        {{ clean_text('employees') }} as employees,
        {{ clean_text('billing_address_country') }} as country,
        {{ clean_text('assigned_user_id') }} as owner_user_id,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    {{ latest_versions('renamed', ['account_id'], 'modified_at', deleted_column='is_deleted') }}

)

select
    account_id,
    account_name,
    created_at,
    modified_at,
    account_type,
    industry,
    annual_revenue,
    employees,
    country,
    owner_user_id,
    source_drop,
    source_file,
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
