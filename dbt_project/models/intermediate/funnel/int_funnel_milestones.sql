{#-
    The funnel, one row per entry (docs/domain.md: the funnel; hunting and farming).  A lead is an entry
    (it enters at MQL); an opportunity that no lead was converted into is an entry too
    (it enters at SRL).  The milestone times are the lead's (int_lead_milestones) and
    the opportunity's (int_opportunity_milestones): first times, so a recycled lead
    that became an MQL again keeps its first MQL time.

    Incremental by entry (macros/funnel_incremental.sql: funnel_entry_incremental_config):
    a run recomputes the entries int_changed_funnel_entries lists, reading only their
    leads and opportunities, which hold every candidate for each credit decided again.
-#}

{{ funnel_entry_incremental_config() }}

with

leads as (

    select * from {{ ref('stg_sugarcrm__leads') }}
    where {{ only_listed_keys('lead_id', 'lead_id', 'int_changed_funnel_entries') }}

),

lead_milestones as (

    select * from {{ ref('int_lead_milestones') }}
    where {{ only_listed_keys('lead_id', 'lead_id', 'int_changed_funnel_entries') }}

),

opportunity_milestones as (

    select * from {{ ref('int_opportunity_milestones') }}
    where {{ only_listed_keys('opportunity_id', 'opportunity_id', 'int_changed_funnel_entries') }}

),

-- A lead converted into an opportunity that exists.  Should two leads name the same
-- opportunity, it is credited once: to the lead that became an MQL first.
lead_conversions as (

    select
        leads.lead_id,
        leads.opportunity_id,
        row_number() over (
            partition by leads.opportunity_id
            order by lead_milestones.mql_at, leads.lead_id
        ) as conversion_rank
    from leads
    inner join lead_milestones
        on lead_milestones.lead_id = leads.lead_id
    inner join opportunity_milestones
        on opportunity_milestones.opportunity_id = leads.opportunity_id

),

-- The entries: every lead, with the opportunity credited to it; every opportunity
-- no lead was converted into.
entries as (

    select
        {{ funnel_entry_id('lead', 'leads.lead_id') }} as entry_id,
        'mql' as entry_milestone,
        leads.lead_id,
        lead_conversions.opportunity_id
    from leads
    left join lead_conversions
        on lead_conversions.lead_id = leads.lead_id
        and lead_conversions.conversion_rank = 1

    union all

    select
        {{ funnel_entry_id('opportunity', 'opportunity_milestones.opportunity_id') }} as entry_id,
        'srl' as entry_milestone,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        opportunity_milestones.opportunity_id
    from opportunity_milestones
    where not exists (
        select 1
        from lead_conversions
        where lead_conversions.opportunity_id = opportunity_milestones.opportunity_id
    )

)

-- A lead's own fields win over its deal's; an entry without a lead has the deal's.
select
    entries.entry_id,
    entries.entry_milestone,
    coalesce(lead_milestones.mql_at, opportunity_milestones.srl_at) as entered_at,
    entries.lead_id,
    entries.opportunity_id,
    coalesce(opportunity_milestones.account_id, leads.account_id) as account_id,
    -- A lead is the hunting motion's module (docs/domain.md: hunting and farming) until it turns
    -- into a deal: then the deal's motion, so that win rates meet their benchmark.
    coalesce(opportunity_milestones.motion, 'hunting') as motion,
    coalesce(leads.lead_source, opportunity_milestones.lead_source) as lead_source,
    coalesce(leads.campaign_id, opportunity_milestones.campaign_id) as campaign_id,
    leads.owner_user_id as sdr_user_id,
    opportunity_milestones.owner_user_id,
    leads.lead_status,
    opportunity_milestones.sales_stage,
    lead_milestones.mql_at,
    coalesce(lead_milestones.re_mql_count, 0) as re_mql_count,
    lead_milestones.first_touch_at,
    opportunity_milestones.srl_at,
    opportunity_milestones.sql_at,
    opportunity_milestones.won_at,
    opportunity_milestones.lost_at,
    opportunity_milestones.stage_regressions,
    opportunity_milestones.amount_reporting

from entries
left join leads
    on leads.lead_id = entries.lead_id
left join lead_milestones
    on lead_milestones.lead_id = entries.lead_id
left join opportunity_milestones
    on opportunity_milestones.opportunity_id = entries.opportunity_id
