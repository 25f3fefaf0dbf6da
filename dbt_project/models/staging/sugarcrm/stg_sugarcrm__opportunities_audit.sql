{{ staging_incremental_config(['audit_id']) }}

with

source as {{ inline_cte() }} (

    select * from {{ source('raw', 'opportunities_audit') }}

),

renamed as {{ inline_cte() }} (

    select
        {{ clean_text('id') }} as audit_id,
        {{ clean_text('parent_id') }} as opportunity_id,
        date_created as changed_at,
        {{ clean_text('created_by') }} as changed_by_user_id,
        {{ clean_text('field_name') }} as field_name,
        {{ clean_text('before_value_string') }} as value_before,
        {{ clean_text('after_value_string') }} as value_after,
        {{ source_lineage_columns() }}

    from source

),

latest as (

    -- Audit rows have no version column: a row exported again in a later drop
    -- replaces the earlier copy.
    {{ latest_versions('renamed', ['audit_id']) }}

)

select
    audit_id,
    opportunity_id,
    changed_at,
    changed_by_user_id,
    field_name,
    value_before,
    value_after,
    source_drop,
    source_file,
    source_line,
    source_loaded_at{{ removal_marker() }}

from latest
