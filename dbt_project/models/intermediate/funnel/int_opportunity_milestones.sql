{#-
    One row per opportunity: the funnel milestones it reached and when (docs/domain.md:
    the funnel).  SRL and SQL are first times: a deal that skipped a stage still passed
    it, a deal that moved back keeps the time it first got there.  SRL is the
    opportunity's creation; SQL is its first visit to a stage that has reached_sql (the
    stage map's rule).  Won and lost follow the stage the deal is in now, and their time
    is the close that stands: the start of the last unbroken run of visits with the
    current outcome.  A deal lost, reopened, qualified and lost again is lost when it was
    lost the second time (after its SQL); won, reopened and lost is lost at that loss;
    moved from one lost stage to another stays lost from the first of the two.  The
    standing close is the run that ends the history, so no milestone comes after it.

    Incremental by opportunity (macros/incremental.sql: opportunity_incremental_config):
    a row is its opportunity's record and stage visits only, so a run recomputes the
    opportunities int_changed_opportunities lists, as the stage visits do.
-#}

{{ opportunity_incremental_config() }}

with

opportunities as (

    select * from {{ ref('int_opportunities') }}
    where {{ only_changed_opportunities('opportunity_id') }}

),

stage_visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}
    where {{ only_changed_opportunities('opportunity_id') }}

),

current_outcome as (

    select
        opportunity_id,
        coalesce(is_closed, false) and coalesce(is_won, false) as is_won_now,
        coalesce(is_closed, false) and not coalesce(is_won, false) as is_lost_now
    from stage_visits
    where is_current

),

-- The last visit whose outcome differs from the current one: the standing close
-- starts after it (none: the deal was in its current outcome since its first visit).
visits_with_outcome as (

    select
        stage_visits.*,
        current_outcome.is_won_now,
        current_outcome.is_lost_now,
        (current_outcome.is_won_now and coalesce(stage_visits.is_closed, false) and coalesce(stage_visits.is_won, false))
        or (current_outcome.is_lost_now and coalesce(stage_visits.is_closed, false) and not coalesce(stage_visits.is_won, false))
            as has_current_outcome
    from stage_visits
    inner join current_outcome
        on current_outcome.opportunity_id = stage_visits.opportunity_id

),

last_other_outcome as (

    select
        opportunity_id,
        max(case when not has_current_outcome then visit_seq end) as last_other_visit_seq
    from visits_with_outcome
    group by opportunity_id

),

visit_milestones as (

    select
        visits_with_outcome.opportunity_id,
        min(case when visits_with_outcome.reached_sql then visits_with_outcome.entered_at end) as first_sql_at,
        min(case
            when visits_with_outcome.has_current_outcome
                and visits_with_outcome.visit_seq > coalesce(last_other_outcome.last_other_visit_seq, 0)
                then visits_with_outcome.entered_at
        end) as standing_close_at,
        max(case when visits_with_outcome.is_won_now then 1 else 0 end) as is_won_now,
        max(case when visits_with_outcome.is_lost_now then 1 else 0 end) as is_lost_now,
        sum(case when visits_with_outcome.is_regression then 1 else 0 end) as stage_regressions

    from visits_with_outcome
    inner join last_other_outcome
        on last_other_outcome.opportunity_id = visits_with_outcome.opportunity_id
    group by visits_with_outcome.opportunity_id

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
    case when visit_milestones.is_won_now = 1 then visit_milestones.standing_close_at end as won_at,
    case when visit_milestones.is_lost_now = 1 then visit_milestones.standing_close_at end as lost_at,
    coalesce(visit_milestones.stage_regressions, 0) as stage_regressions

from opportunities
left join visit_milestones
    on visit_milestones.opportunity_id = opportunities.opportunity_id
