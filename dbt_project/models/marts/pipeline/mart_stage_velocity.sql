{#-
    Velocity per stage (docs/domain.md: the qualified pipeline): of the visits to each open stage that
    began in a fiscal quarter, how long they lasted and how they ended.  Motion `all`
    is both motions together.  Percentiles are over completed visits (a visit still in
    progress has no duration yet); the shares are over every visit that began.
-#}

with

visits as (

    select
        opportunity_id,
        motion,
        stage,
        stage_order,
        milestone,
        entered_at,
        exited_at,
        days_in_stage,
        exit_type,
        history_source
    from {{ ref('fct_opportunity_stage_visits') }}

),

stage_map as (

    select crm_stage, is_closed from {{ ref('stg_vocabulary__stage_map') }}

),

as_of as (

    select pipeline_as_of_date as as_of_date from {{ ref('int_as_of') }}

),

open_stage_visits as (

    -- Only the quarter's start per visit: its label and end follow from it, after the aggregation.
    select
        {{ fiscal_quarter_start('cast(visits.entered_at as date)') }} as fiscal_quarter_start,
        visits.*
    from visits
    left join stage_map
        on stage_map.crm_stage = visits.stage
    -- Time in a closed stage only ends if the deal is reopened: not a velocity figure.
    where not coalesce(stage_map.is_closed, false)

),

counted as (

    select
        fiscal_quarter_start,
        case when grouping(motion) = 1 then 'all' else motion end as motion,
        stage,
        stage_order,
        milestone,
        count(distinct opportunity_id) as deals_entered,
        count(*) as visits_entered,
        count(exited_at) as visits_completed,
        percentile_cont(0.5) within group (order by days_in_stage) as median_days_in_stage,
        percentile_cont(0.75) within group (order by days_in_stage) as p75_days_in_stage,
        percentile_cont(0.9) within group (order by days_in_stage) as p90_days_in_stage,
        sum(case when exit_type in ('forward', 'won') then 1 else 0 end) as visits_moved_forward,
        sum(case when exit_type = 'regressed' then 1 else 0 end) as visits_regressed,
        sum(case when exit_type = 'lost' then 1 else 0 end) as visits_lost,
        sum(case when exited_at is null then 1 else 0 end) as visits_still_in_stage,
        {{ history_source_of('history_source') }} as history_source
    from open_stage_visits
    group by grouping sets (
        (fiscal_quarter_start, motion, stage, stage_order, milestone),
        (fiscal_quarter_start, stage, stage_order, milestone)
    )

),

-- The quarter's label and end, once per row of the aggregate.
aggregated as (

    select
        {{ fiscal_quarter_label('fiscal_quarter_start') }} as fiscal_quarter,
        {{ fiscal_quarter_end('fiscal_quarter_start') }} as fiscal_quarter_end,
        counted.*
    from counted

)

select
    aggregated.fiscal_quarter,
    aggregated.fiscal_quarter_start,
    aggregated.fiscal_quarter_end,
    aggregated.fiscal_quarter_end < as_of.as_of_date as is_quarter_complete,
    aggregated.motion,
    aggregated.stage,
    aggregated.stage_order,
    aggregated.milestone,
    aggregated.deals_entered,
    aggregated.visits_entered,
    aggregated.visits_completed,
    aggregated.median_days_in_stage,
    aggregated.p75_days_in_stage,
    aggregated.p90_days_in_stage,
    aggregated.visits_moved_forward,
    aggregated.visits_regressed,
    aggregated.visits_lost,
    aggregated.visits_still_in_stage,
    cast(aggregated.visits_moved_forward as double) / aggregated.visits_entered as share_moved_forward,
    cast(aggregated.visits_regressed as double) / aggregated.visits_entered as share_regressed,
    cast(aggregated.visits_lost as double) / aggregated.visits_entered as share_lost,
    cast(aggregated.visits_still_in_stage as double) / aggregated.visits_entered as share_still_in_stage,
    aggregated.history_source

from aggregated
cross join as_of
