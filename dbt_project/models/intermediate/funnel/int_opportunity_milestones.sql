{#-
    One row per opportunity: the funnel milestones it reached and when (docs/domain.md:
    the funnel).  Milestone times are first times: a deal that skipped a stage still
    passed it, a deal that moved back keeps the time it first got there.  SRL is the
    opportunity's creation; SQL is its first visit to a stage that has reached_sql (the
    stage map's rule); won and lost follow the stage the deal is in now.
-#}

with

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

stage_visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}

),

visit_milestones as (

    select
        opportunity_id,
        min(case when reached_sql then entered_at end) as first_sql_at,
        min(case when is_won then entered_at end) as first_won_at,
        min(case when is_closed and not is_won then entered_at end) as first_lost_at,
        -- The outcome is the stage the deal is in now: a lost deal that was reopened
        -- and won is won, a reopened deal still open is neither.
        max(case when is_current and is_won then 1 else 0 end) as is_won_now,
        max(case when is_current and is_closed and not is_won then 1 else 0 end) as is_lost_now,
        sum(case when is_regression then 1 else 0 end) as stage_regressions

    from stage_visits
    group by opportunity_id

)

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
    visit_milestones.first_sql_at as sql_at,
    case when visit_milestones.is_won_now = 1 then visit_milestones.first_won_at end as won_at,
    case when visit_milestones.is_lost_now = 1 then visit_milestones.first_lost_at end as lost_at,
    coalesce(visit_milestones.stage_regressions, 0) as stage_regressions

from opportunities
left join visit_milestones
    on visit_milestones.opportunity_id = opportunities.opportunity_id
