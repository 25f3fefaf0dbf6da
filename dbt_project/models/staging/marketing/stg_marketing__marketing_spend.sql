with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'marketing_spend') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ adapter.quote('date') }} as period_start_date,
        spend,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('channel') }} as channel,
        upper({{ clean_text('currency_id') }}) as currency_id,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    -- Key: period, campaign, channel, currency (any of the last three may be empty);
    -- no version column: the latest drop wins.
    {{ latest_versions('renamed', ['period_start_date', 'campaign_id', 'channel', 'currency_id']) }}

)

select
    period_start_date,
    spend,
    campaign_id,
    channel,
    currency_id,
    source_drop,
    source_file,
    source_line,
    source_loaded_at

from latest
