{{ staging_incremental_config(['history_id']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'opportunity_history') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as history_id,
        {{ clean_text('opportunity_id') }} as opportunity_id,
        changed_at,
        {{ clean_text('created_by') }} as changed_by_user_id,
        {{ clean_text('sales_stage') }} as sales_stage,
        amount,
        date_closed as close_date,
        lower({{ clean_text('commit_stage') }}) as commit_stage,
        probability,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    -- History rows have no version column: a row exported again in a later drop
    -- (a full snapshot re-sends them all) replaces the earlier copy.
    {{ latest_versions('renamed', ['history_id']) }}

)

select
    history_id,
    opportunity_id,
    changed_at,
    changed_by_user_id,
    sales_stage,
    amount,
    close_date,
    commit_stage,
    probability,
    source_drop,
    source_file,
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
