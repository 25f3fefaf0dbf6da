{#-
    The audit log records changes only, never a field's first value.  The value at
    creation is the value_before of the field's first change, or the current value
    when the field never changed; it is added as change_seq 0 at created_at, so
    that "the value as of time T" is always the latest row with changed_at <= T.
-#}
{%- set tracked_fields = ['sales_stage', 'amount', 'date_closed', 'commit_stage', 'assigned_user_id', 'probability'] -%}

with

opportunities as (

    select * from {{ ref('stg_sugarcrm__opportunities') }}

),

audit as (

    select * from {{ ref('stg_sugarcrm__opportunities_audit') }}

),

-- Changes of the tracked fields of opportunities that exist (not deleted), in order.
-- Equal timestamps keep the order they were exported in.
audit_changes as (

    select
        audit.opportunity_id,
        audit.field_name,
        audit.changed_at,
        case when audit.field_name = 'commit_stage' then lower(audit.value_before) else audit.value_before end as value_before,
        case when audit.field_name = 'commit_stage' then lower(audit.value_after) else audit.value_after end as value_after,
        row_number() over (
            partition by audit.opportunity_id, audit.field_name
            order by audit.changed_at, audit.source_drop, audit.source_file, audit.source_line, audit.audit_id
        ) as change_seq

    from audit
    inner join opportunities
        on opportunities.opportunity_id = audit.opportunity_id
    where audit.field_name in ('{{ tracked_fields | join("', '") }}')

),

-- The current value of every tracked field, as text like the audit log's values.
current_values as (

    {%- set current_columns = {
        'sales_stage': 'sales_stage',
        'amount': 'amount',
        'date_closed': 'close_date',
        'commit_stage': 'commit_stage',
        'assigned_user_id': 'owner_user_id',
        'probability': 'probability',
    } %}
    {% for field in tracked_fields %}
    select
        opportunity_id,
        created_at,
        '{{ field }}' as field_name,
        cast({{ current_columns[field] }} as {{ dbt.type_string() }}) as current_value
    from opportunities
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

creation as (

    select
        current_values.opportunity_id,
        current_values.field_name,
        current_values.created_at as changed_at,
        cast(null as {{ dbt.type_string() }}) as value_before,
        case
            when first_change.opportunity_id is not null then first_change.value_before
            else current_values.current_value
        end as value_after,
        0 as change_seq,
        true as is_creation

    from current_values
    left join audit_changes as first_change
        on first_change.opportunity_id = current_values.opportunity_id
        and first_change.field_name = current_values.field_name
        and first_change.change_seq = 1

),

changes as (

    select
        opportunity_id,
        field_name,
        changed_at,
        value_before,
        value_after,
        change_seq,
        false as is_creation
    from audit_changes

),

unioned as (

    select * from creation
    union all
    select * from changes

)

select
    opportunity_id,
    field_name,
    changed_at,
    value_before,
    value_after,
    change_seq,
    is_creation

from unioned
