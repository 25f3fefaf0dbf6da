{#-
    The opportunities as exported: renamed, typed, the version in force of each.  The
    motion and the amount in the reporting currency are decided in int_opportunities.
-#}

{{ staging_incremental_config(['opportunity_id']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'opportunities') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as opportunity_id,
        {{ clean_text('name') }} as opportunity_name,
        date_entered as created_at,
        date_modified as modified_at,
        {{ clean_bool('deleted') }} as is_deleted,
        {{ clean_text('assigned_user_id') }} as owner_user_id,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('opportunity_type') }} as opportunity_type,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('campaign_id') }} as campaign_id,
        amount,
        upper({{ clean_text('currency_id') }}) as currency_id,
        amount_usdollar,
        date_closed as close_date,
        {{ clean_text('sales_stage') }} as sales_stage,
        probability,
        lower({{ clean_text('commit_stage') }}) as commit_stage,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    {{ latest_versions('renamed', ['opportunity_id'], 'modified_at', deleted_column='is_deleted') }}

)

select
    opportunity_id,
    opportunity_name,
    created_at,
    modified_at,
    owner_user_id,
    account_id,
    opportunity_type,
    lead_source,
    campaign_id,
    amount,
    currency_id,
    amount_usdollar,
    close_date,
    sales_stage,
    probability,
    commit_stage,
    source_drop,
    source_file,
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
