{#-
    The stage history: the stage an opportunity was created in, then one visit each
    time the stage changes.  An audit row that sets the stage it already had (or a
    null stage) does not start a visit.  Time in stage comes from here, never from
    the current record (docs/domain.md: the qualified pipeline).  Each visit carries
    its stage's properties from the stage map, reached_sql among them (the funnel's SQL
    milestone, defined once in stg_vocabulary__stage_map).
-#}

{{ opportunity_incremental_config() }}

with

stage_changes as (

    select
        opportunity_id,
        changed_at,
        change_seq,
        value_after as stage,
        history_source
    from {{ ref('int_opportunity_changes') }}
    where field_name = 'sales_stage'
        and value_after is not null
        -- An incremental run: the opportunities int_changed_opportunities lists.
        and {{ only_changed_opportunities('opportunity_id') }}

),

stage_map as (

    select * from {{ ref('stg_vocabulary__stage_map') }}

),

with_prior as (

    select
        stage_changes.*,
        lag(stage) over (partition by opportunity_id order by change_seq) as prior_stage
    from stage_changes

),

visit_starts as (

    select
        with_prior.opportunity_id,
        with_prior.stage,
        with_prior.changed_at as entered_at,
        with_prior.change_seq,
        with_prior.history_source,
        stage_map.stage_order,
        stage_map.milestone,
        stage_map.is_closed,
        stage_map.is_won,
        stage_map.reached_sql

    from with_prior
    left join stage_map
        on stage_map.crm_stage = with_prior.stage
    where with_prior.prior_stage is null
        or with_prior.prior_stage <> with_prior.stage

),

visits as (

    select
        opportunity_id,
        stage,
        stage_order,
        milestone,
        is_closed,
        is_won,
        reached_sql,
        history_source,
        row_number() over (partition by opportunity_id order by change_seq) as visit_seq,
        row_number() over (partition by opportunity_id, stage order by change_seq) as visit_number,
        entered_at,
        lead(entered_at) over (partition by opportunity_id order by change_seq) as exited_at,
        lead(stage) over (partition by opportunity_id order by change_seq) as next_stage,
        lag(stage) over (partition by opportunity_id order by change_seq) as previous_stage,
        lag(stage_order) over (partition by opportunity_id order by change_seq) as previous_stage_order

    from visit_starts

)

select
    opportunity_id,
    visit_seq,
    stage,
    stage_order,
    milestone,
    is_closed,
    is_won,
    reached_sql,
    visit_number,
    entered_at,
    exited_at,
    exited_at is null as is_current,
    next_stage,
    previous_stage,
    coalesce(previous_stage_order > stage_order, false) as is_regression,
    case
        when exited_at is not null
            then {{ elapsed_days('entered_at', 'exited_at') }}
    end as days_in_stage,
    history_source

from visits
