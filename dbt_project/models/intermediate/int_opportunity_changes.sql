{#-
    The audit log records changes only, never a field's first value.  The value at
    creation is the value_before of the field's first change, or the current value
    when the field never changed; it is added as change_seq 0 at created_at, so
    that "the value as of time T" is always the latest row with changed_at <= T.

    An export without an audit log has a state history instead
    (int_opportunity_history_states, where the audit log wins per opportunity and
    field).  Its states become changes: each value that differs from the one before
    it, the first state being the value at creation.
-#}
{#- The tracked fields (audit log names), and the staging column holding each one's current value. -#}
{%- set tracked_fields = {
    'sales_stage': 'sales_stage',
    'amount': 'amount',
    'date_closed': 'close_date',
    'commit_stage': 'commit_stage',
    'assigned_user_id': 'owner_user_id',
    'probability': 'probability',
} -%}

{{ opportunity_incremental_config() }}

with

-- An incremental run recomputes the opportunities int_changed_opportunities lists;
-- every CTE below starts from these (macros/incremental.sql).
opportunities as (

    select * from {{ ref('stg_sugarcrm__opportunities') }}
    where {{ only_changed_opportunities('opportunity_id') }}

),

audit as (

    select * from {{ ref('stg_sugarcrm__opportunities_audit') }}
    where {{ only_changed_opportunities('opportunity_id') }}

),

history as (

    select * from {{ ref('stg_sugarcrm__opportunity_history') }}
    where {{ only_changed_opportunities('opportunity_id') }}

),

history_states as (

    select * from {{ ref('int_opportunity_history_states') }}
    where {{ only_changed_opportunities('opportunity_id') }}

),

-- Changes of the tracked fields of opportunities that exist (not deleted).
audit_logged as (

    select
        audit.opportunity_id,
        audit.field_name,
        audit.changed_at,
        case when audit.field_name = 'commit_stage' then lower(audit.value_before) else audit.value_before end as value_before,
        case when audit.field_name = 'commit_stage' then lower(audit.value_after) else audit.value_after end as value_after,
        audit.source_drop,
        audit.source_file,
        audit.source_line,
        audit.audit_id as source_id,
        'audit_log' as history_source

    from audit
    inner join opportunities
        on opportunities.opportunity_id = audit.opportunity_id
    where audit.field_name in ('{{ tracked_fields.keys() | join("', '") }}')

),

-- A state whose value differs from the state before it is a change; the first state
-- is the value at creation (the value_before of the first change).
history_logged as (

    select
        history_states.opportunity_id,
        history_states.field_name,
        history_states.changed_at,
        history_states.previous_value as value_before,
        history_states.field_value as value_after,
        history_states.source_drop,
        history_states.source_file,
        history_states.source_line,
        history_states.history_id as source_id,
        'derived' as history_source
    from history_states
    where history_states.previous_value is not null
        and history_states.previous_value <> history_states.field_value

),

-- Every logged change, in order.  Equal timestamps keep the order they were exported in.
logged_changes as (

    select
        logged.opportunity_id,
        logged.field_name,
        logged.changed_at,
        logged.value_before,
        logged.value_after,
        logged.history_source,
        row_number() over (
            partition by logged.opportunity_id, logged.field_name
            order by logged.changed_at, logged.source_drop, logged.source_file, logged.source_line, logged.source_id
        ) as change_seq

    from (
        select * from audit_logged
        union all
        select * from history_logged
    ) as logged

),

-- Where each opportunity's history comes from: the audit log, or (an export without
-- one) a history derived from states or dated columns.  Marts carry it so an analyst
-- knows a derived history cannot tell everything (docs/mappings.md).
history_sources as (

    select
        opportunities.opportunity_id,
        case
            when exists (select 1 from audit_logged where audit_logged.opportunity_id = opportunities.opportunity_id)
                then 'audit_log'
            when exists (select 1 from history where history.opportunity_id = opportunities.opportunity_id)
                then 'derived'
            else 'audit_log'
        end as history_source
    from opportunities

),

-- The current value of every tracked field, as text like the audit log's values.
current_values as (

    {% for field, column in tracked_fields.items() %}
    select
        opportunity_id,
        created_at,
        '{{ field }}' as field_name,
        cast({{ column }} as {{ dbt.type_string() }}) as current_value
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
            when first_state.opportunity_id is not null then first_state.field_value
            else current_values.current_value
        end as value_after,
        0 as change_seq,
        true as is_creation

    from current_values
    left join logged_changes as first_change
        on first_change.opportunity_id = current_values.opportunity_id
        and first_change.field_name = current_values.field_name
        and first_change.change_seq = 1
    -- A field the history records but never changed: its one state is the value at creation.
    left join history_states as first_state
        on first_state.opportunity_id = current_values.opportunity_id
        and first_state.field_name = current_values.field_name
        and first_state.previous_value is null

),

unioned as (

    select * from creation
    union all
    select opportunity_id, field_name, changed_at, value_before, value_after, change_seq, false as is_creation
    from logged_changes

)

select
    unioned.opportunity_id,
    unioned.field_name,
    unioned.changed_at,
    unioned.value_before,
    unioned.value_after,
    unioned.change_seq,
    unioned.is_creation,
    history_sources.history_source

from unioned
inner join history_sources
    on history_sources.opportunity_id = unioned.opportunity_id
