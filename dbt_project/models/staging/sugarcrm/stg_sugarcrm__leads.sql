{{ staging_incremental_config(['lead_id']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'leads') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as lead_id,
        date_entered as created_at,
        date_modified as modified_at,
        {{ clean_bool('deleted') }} as is_deleted,
        {{ clean_text('assigned_user_id') }} as owner_user_id,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('email1') }} as email,
        {{ clean_text('phone_work') }} as phone_work,
        {{ clean_text('account_name') }} as account_name,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('status') }} as lead_status,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_bool('converted') }} as is_converted,
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ clean_text('primary_address_country') }} as country,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    {{ latest_versions('renamed', ['lead_id'], 'modified_at', deleted_column='is_deleted') }}

)

select
    lead_id,
    created_at,
    modified_at,
    owner_user_id,
    first_name,
    last_name,
    email,
    phone_work,
    account_name,
    account_id,
    lead_status,
    lead_source,
    campaign_id,
    is_converted,
    opportunity_id,
    country,
    source_drop,
    source_file,
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
