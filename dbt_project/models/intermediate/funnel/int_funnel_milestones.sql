{#-
    The funnel, one row per entry (docs/domain.md: the funnel; hunting and farming).  A lead is an entry
    (it enters at MQL); an opportunity that no lead was converted into is an entry too
    (it enters at SRL).  Milestone times are first times: a deal that skipped a stage
    still passed it, a deal that moved back keeps the time it first got there, and a
    recycled lead that became an MQL again keeps its first MQL time.

    Vocabularies of the export contract (ingest/contract.py), not company settings:
    the marketing tool's event type for an MQL, and the parent type and status of a
    call or meeting held with a lead.
-#}
{%- set mql_event_type = 'mql' -%}
{%- set lead_parent_type = 'Leads' -%}
{%- set held_status = 'Held' -%}

with

leads as (

    select * from {{ ref('stg_sugarcrm__leads') }}

),

opportunities as (

    select * from {{ ref('stg_sugarcrm__opportunities') }}

),

mql_events as (

    select * from {{ ref('stg_marketing__mql_events') }}

),

stage_visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}

),

stage_map as (

    select * from {{ ref('stg_vocabulary__stage_map') }}

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

-- A lead converted into an opportunity that exists.  Should two leads name the same
-- opportunity, it is credited once: to the lead that became an MQL first.
lead_conversions as (

    select
        leads.lead_id,
        leads.opportunity_id,
        row_number() over (
            partition by leads.opportunity_id
            order by lead_mqls.mql_at, leads.lead_id
        ) as conversion_rank
    from leads
    inner join lead_mqls
        on lead_mqls.lead_id = leads.lead_id
    inner join opportunities
        on opportunities.opportunity_id = leads.opportunity_id

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

),

-- SQL is the stage_map's sql milestone (the second stage) or any later open stage,
-- or won; a lost stage is not "beyond" SQL.
qualified_stage as (

    select min(stage_order) as sql_stage_order
    from stage_map
    where milestone = 'sql'

),

opportunity_milestones as (

    select
        stage_visits.opportunity_id,
        min(
            case
                when stage_visits.is_won then stage_visits.entered_at
                when not stage_visits.is_closed
                    and stage_visits.stage_order >= qualified_stage.sql_stage_order
                    then stage_visits.entered_at
            end
        ) as first_sql_at,
        min(case when stage_visits.is_won then stage_visits.entered_at end) as first_won_at,
        min(case when stage_visits.is_closed and not stage_visits.is_won then stage_visits.entered_at end)
            as first_lost_at,
        -- The outcome is the stage the deal is in now: a lost deal that was reopened
        -- and won is won, a reopened deal still open is neither.
        max(case when stage_visits.is_current and stage_visits.is_won then 1 else 0 end) as is_won_now,
        max(case when stage_visits.is_current and stage_visits.is_closed and not stage_visits.is_won then 1 else 0 end)
            as is_lost_now,
        sum(case when stage_visits.is_regression then 1 else 0 end) as stage_regressions

    from stage_visits
    cross join qualified_stage
    group by stage_visits.opportunity_id

),

opportunity_facts as (

    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_user_id,
        opportunities.motion,
        opportunities.lead_source,
        opportunities.campaign_id,
        opportunities.sales_stage,
        opportunities.amount_reporting,
        opportunities.created_at as srl_at,
        opportunity_milestones.first_sql_at as sql_at,
        case when opportunity_milestones.is_won_now = 1 then opportunity_milestones.first_won_at end as won_at,
        case when opportunity_milestones.is_lost_now = 1 then opportunity_milestones.first_lost_at end as lost_at,
        coalesce(opportunity_milestones.stage_regressions, 0) as stage_regressions

    from opportunities
    left join opportunity_milestones
        on opportunity_milestones.opportunity_id = opportunities.opportunity_id

),

lead_entries as (

    select
        {{ dbt.concat(["'lead:'", 'leads.lead_id']) }} as entry_id,
        'mql' as entry_milestone,
        leads.lead_id,
        opportunity_facts.opportunity_id,
        coalesce(opportunity_facts.account_id, leads.account_id) as account_id,
        -- A lead is the hunting motion's module (docs/domain.md: hunting and farming) until it turns
        -- into a deal: then the deal's motion, so that win rates meet their benchmark.
        coalesce(opportunity_facts.motion, 'hunting') as motion,
        coalesce(leads.lead_source, opportunity_facts.lead_source) as lead_source,
        coalesce(leads.campaign_id, opportunity_facts.campaign_id) as campaign_id,
        leads.owner_user_id as sdr_user_id,
        opportunity_facts.owner_user_id,
        leads.lead_status,
        opportunity_facts.sales_stage,
        lead_mqls.mql_at,
        lead_mqls.re_mql_count,
        lead_first_touches.first_touch_at,
        opportunity_facts.srl_at,
        opportunity_facts.sql_at,
        opportunity_facts.won_at,
        opportunity_facts.lost_at,
        opportunity_facts.stage_regressions,
        opportunity_facts.amount_reporting

    from leads
    inner join lead_mqls
        on lead_mqls.lead_id = leads.lead_id
    left join lead_first_touches
        on lead_first_touches.lead_id = leads.lead_id
    left join lead_conversions
        on lead_conversions.lead_id = leads.lead_id
        and lead_conversions.conversion_rank = 1
    left join opportunity_facts
        on opportunity_facts.opportunity_id = lead_conversions.opportunity_id

),

opportunity_entries as (

    select
        {{ dbt.concat(["'opportunity:'", 'opportunity_facts.opportunity_id']) }} as entry_id,
        'srl' as entry_milestone,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        opportunity_facts.opportunity_id,
        opportunity_facts.account_id,
        opportunity_facts.motion,
        opportunity_facts.lead_source,
        opportunity_facts.campaign_id,
        cast(null as {{ dbt.type_string() }}) as sdr_user_id,
        opportunity_facts.owner_user_id,
        cast(null as {{ dbt.type_string() }}) as lead_status,
        opportunity_facts.sales_stage,
        cast(null as {{ dbt.type_timestamp() }}) as mql_at,
        0 as re_mql_count,
        cast(null as {{ dbt.type_timestamp() }}) as first_touch_at,
        opportunity_facts.srl_at,
        opportunity_facts.sql_at,
        opportunity_facts.won_at,
        opportunity_facts.lost_at,
        opportunity_facts.stage_regressions,
        opportunity_facts.amount_reporting

    from opportunity_facts
    where not exists (
        select 1
        from lead_conversions
        where lead_conversions.opportunity_id = opportunity_facts.opportunity_id
    )

),

entries as (

    select * from lead_entries
    union all
    select * from opportunity_entries

)

select
    entry_id,
    entry_milestone,
    coalesce(mql_at, srl_at) as entered_at,
    lead_id,
    opportunity_id,
    account_id,
    motion,
    lead_source,
    campaign_id,
    sdr_user_id,
    owner_user_id,
    lead_status,
    sales_stage,
    mql_at,
    re_mql_count,
    first_touch_at,
    srl_at,
    sql_at,
    won_at,
    lost_at,
    stage_regressions,
    amount_reporting

from entries
