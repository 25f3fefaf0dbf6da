with

source as (

    select * from {{ source('raw', 'opportunities_audit') }}

),

renamed as (

    select
        {{ clean_text('id') }} as audit_id,
        {{ clean_text('parent_id') }} as opportunity_id,
        date_created as changed_at,
        {{ clean_text('created_by') }} as changed_by_user_id,
        {{ clean_text('field_name') }} as field_name,
        {{ clean_text('before_value_string') }} as value_before,
        {{ clean_text('after_value_string') }} as value_after,
        _drop as source_drop,
        _snapshot as source_snapshot,
        _file as source_file,
        _line as source_line

    from source

),

versions as (

    -- Audit rows have no version column: a row exported again in a later drop
    -- replaces the earlier copy.
    select
        renamed.*,
        {{ version_rank(['audit_id']) }} as version_rank,
        {{ dropped_by_later_snapshot(['audit_id']) }} as is_dropped_by_snapshot
    from renamed

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
    source_line

from versions
where version_rank = 1
    and not is_dropped_by_snapshot
