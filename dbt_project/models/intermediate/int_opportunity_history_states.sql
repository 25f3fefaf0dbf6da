{#-
    The state history (stg_sugarcrm__opportunity_history: the values in force from a
    moment on) as one row per opportunity, field and state, with the field's value in the
    state before (previous_value; null for its first state).  int_opportunity_changes
    turns the states whose value differs from the one before into changes, and takes
    the first state as the value at creation.

    Per opportunity and field the audit log wins where it has rows, so an export with both
    (Salesforce's field history and stage history) counts each change once: a field the
    audit log has a change of is left out here.  Ephemeral: a step of
    int_opportunity_changes, not a relation of its own.
-#}
{{ config(materialized='ephemeral') }}

{#- The fields a state records, and the staging column of each. -#}
{%- set history_columns = {
    'sales_stage': 'sales_stage',
    'amount': 'amount',
    'date_closed': 'close_date',
    'commit_stage': 'commit_stage',
    'probability': 'probability',
} %}

with

opportunities as (

    select * from {{ ref('stg_sugarcrm__opportunities') }}

),

audit as (

    select * from {{ ref('stg_sugarcrm__opportunities_audit') }}

),

history as (

    select * from {{ ref('stg_sugarcrm__opportunity_history') }}

),

-- One row per field a state records (an empty field says nothing), of opportunities
-- that exist (not deleted).
history_values as (

    {% for field, column in history_columns.items() %}
    select
        history.opportunity_id,
        '{{ field }}' as field_name,
        history.changed_at,
        cast(history.{{ column }} as {{ dbt.type_string() }}) as field_value,
        history.source_drop,
        history.source_file,
        history.source_line,
        history.history_id
    from history
    inner join opportunities
        on opportunities.opportunity_id = history.opportunity_id
    where history.{{ column }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select
    history_values.*,
    lag(field_value) over (
        partition by opportunity_id, field_name
        order by changed_at, source_drop, source_file, source_line, history_id
    ) as previous_value

from history_values
where not exists (
    select 1 from audit
    where audit.opportunity_id = history_values.opportunity_id
        and audit.field_name = history_values.field_name
)
