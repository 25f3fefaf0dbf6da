{#-
    One row per lead: when it became an MQL, how often it became one again, and its
    first real human touch (docs/domain.md: the funnel; speed to lead).

    Vocabularies of the export contract (ingest/contract.py), not company settings:
    the marketing tool's event type for an MQL, and the parent type and status of a
    call or meeting held with a lead.
-#}
{%- set mql_event_type = 'mql' -%}
{%- set lead_parent_type = 'Leads' -%}
{%- set held_status = 'Held' -%}

{#-
    Incremental by lead (macros/funnel_incremental.sql: lead_incremental_config): a row is
    its lead's record, MQL events and calls and meetings only, so a run recomputes the
    leads int_changed_leads lists.
-#}
{{ lead_incremental_config() }}

with

leads as (

    select * from {{ ref('stg_sugarcrm__leads') }}
    where {{ only_listed_keys('lead_id', 'lead_id', 'int_changed_leads') }}

),

mql_events as (

    select * from {{ ref('stg_marketing__mql_events') }}
    where {{ only_listed_keys('lead_id', 'lead_id', 'int_changed_leads') }}

),

calls as (

    select * from {{ ref('stg_sugarcrm__calls') }}

),

meetings as (

    select * from {{ ref('stg_sugarcrm__meetings') }}

),

-- The MQL time is the marketing tool's first mql event; a lead it never sent is an
-- MQL from its creation in the CRM.  Every later mql event is a re-MQL.
lead_mql_events as (

    select
        lead_id,
        min(event_at) as first_mql_event_at,
        count(*) as mql_event_count
    from mql_events
    where event_type = '{{ mql_event_type }}'
    group by lead_id

),

lead_mqls as (

    select
        leads.lead_id,
        coalesce(lead_mql_events.first_mql_event_at, leads.created_at) as mql_at,
        coalesce(lead_mql_events.mql_event_count - 1, 0) as re_mql_count
    from leads
    left join lead_mql_events
        on lead_mql_events.lead_id = leads.lead_id

),

-- The first real human touch: a held call or meeting logged against the lead, at or
-- after its MQL time.
lead_touches as (

    select parent_id as lead_id, started_at
    from calls
    where parent_type = '{{ lead_parent_type }}'
        and call_status = '{{ held_status }}'

    union all

    select parent_id as lead_id, started_at
    from meetings
    where parent_type = '{{ lead_parent_type }}'
        and meeting_status = '{{ held_status }}'

),

lead_first_touches as (

    select
        lead_mqls.lead_id,
        min(lead_touches.started_at) as first_touch_at
    from lead_mqls
    inner join lead_touches
        on lead_touches.lead_id = lead_mqls.lead_id
        and lead_touches.started_at >= lead_mqls.mql_at
    group by lead_mqls.lead_id

)

select
    lead_mqls.lead_id,
    lead_mqls.mql_at,
    lead_mqls.re_mql_count,
    lead_first_touches.first_touch_at

from lead_mqls
left join lead_first_touches
    on lead_first_touches.lead_id = lead_mqls.lead_id
