with

source as (

    select * from {{ source('raw', 'marketing_spend') }}

),

renamed as (

    select
        {{ adapter.quote('date') }} as period_start_date,
        spend,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('channel') }} as channel,
        upper({{ clean_text('currency_id') }}) as currency_id,
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    -- Key: period, campaign, channel, currency (any of the last three may be empty);
    -- no version column: the latest drop wins.
    select
        renamed.*,
        {{ version_rank(['period_start_date', 'campaign_id', 'channel', 'currency_id']) }} as version_rank,
        {{ dropped_by_later_snapshot(['period_start_date', 'campaign_id', 'channel', 'currency_id']) }} as is_dropped_by_snapshot
    from renamed

)

select
    period_start_date,
    spend,
    campaign_id,
    channel,
    currency_id,
    source_drop,
    source_file,
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
