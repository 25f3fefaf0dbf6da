with

source as (

    select * from {{ source('raw', 'campaigns') }}

),

renamed as (

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
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    select
        renamed.*,
        {{ version_rank(['campaign_id'], 'modified_at') }} as version_rank,
        {{ dropped_by_later_snapshot(['campaign_id']) }} as is_dropped_by_snapshot
    from renamed

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
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
