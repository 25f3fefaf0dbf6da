{#-
    The funnel entries int_funnel_milestones recomputes in a weekly refresh, with the lead
    or the opportunity each one is (one of the two columns is set).  An entry is one lead's,
    or one opportunity's that no lead was converted into; which lead an opportunity is
    credited to is decided among every lead that names it (the first MQL wins).  So:
    - the opportunities: those int_changed_opportunities lists (their milestones, motion,
      amount or existence changed) and every opportunity a lead of int_changed_leads names
      or named in any of its versions (the lead may have left it, or taken its credit);
    - the leads: those of int_changed_leads, and every lead that names one of these
      opportunities now (its credit is decided again).
    Every lead of the second list names an opportunity of the first, and every lead that
    names such an opportunity is in the second list: each credit is decided among all its
    candidates, and the entries not listed read nothing that changed.
-#}

with

changed_leads as (

    select lead_id from {{ ref('int_changed_leads') }}

),

lead_versions as (

    {{ raw_versions('leads', [('lead_id', 'id'), ('opportunity_id', 'opportunity_id')]) }}

),

entry_opportunities as (

    select opportunity_id from {{ ref('int_changed_opportunities') }}
    union
    select opportunity_id
    from lead_versions
    where lead_id in (select lead_id from changed_leads)

),

entry_leads as (

    select lead_id from changed_leads
    union
    select lead_id
    from {{ ref('stg_sugarcrm__leads') }}
    where opportunity_id in (select opportunity_id from entry_opportunities)

)

select
    {{ funnel_entry_id('lead', 'lead_id') }} as entry_id,
    lead_id,
    cast(null as {{ dbt.type_string() }}) as opportunity_id
from entry_leads

union all

select
    {{ funnel_entry_id('opportunity', 'opportunity_id') }} as entry_id,
    cast(null as {{ dbt.type_string() }}) as lead_id,
    opportunity_id
from entry_opportunities
where opportunity_id is not null
