{#-
    The stage history as a fact (docs/domain.md: the qualified pipeline, time in stage): every visit of
    every opportunity to a stage, from int_opportunity_stage_visits, with how the visit
    ended.  A deal that moves back and forward again has a later visit to the same
    stage (visit_number 2, ...).
    A view (reshaping_mart_materialization, macros/spark.sql) of the incremental table
    int_opportunity_stage_visits, adding the deal's motion and how the visit ended: its
    row-local tests read the opportunities the build recomputed, as the table's do
    (recomputed_key: get_where_subquery, macros/incremental.sql).
-#}

{{ config(materialized=reshaping_mart_materialization(), meta={'recomputed_key': 'opportunity_id', 'recomputed_list': 'int_changed_opportunities'}) }}

with

stage_visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}

),

opportunities as (

    select opportunity_id, motion from {{ ref('int_opportunities') }}

),

stage_map as (

    select crm_stage, stage_order, is_closed, is_won from {{ ref('stg_vocabulary__stage_map') }}

)

select
    stage_visits.opportunity_id,
    stage_visits.visit_seq,
    opportunities.motion,
    stage_visits.stage,
    stage_visits.stage_order,
    stage_visits.milestone,
    stage_visits.visit_number,
    stage_visits.entered_at,
    stage_visits.exited_at,
    stage_visits.is_current,
    stage_visits.days_in_stage,
    stage_visits.previous_stage,
    stage_visits.is_regression,
    stage_visits.next_stage,
    case
        when stage_visits.exited_at is null then null
        when next_stage_map.is_won then 'won'
        when next_stage_map.is_closed then 'lost'
        when next_stage_map.stage_order > stage_visits.stage_order then 'forward'
        when next_stage_map.stage_order < stage_visits.stage_order then 'regressed'
        else 'unknown'
    end as exit_type,
    stage_visits.history_source

from stage_visits
inner join opportunities
    on opportunities.opportunity_id = stage_visits.opportunity_id
left join stage_map as next_stage_map
    on next_stage_map.crm_stage = stage_visits.next_stage
