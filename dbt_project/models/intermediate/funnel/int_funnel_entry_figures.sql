{#-
    The lead funnel, one row per entry: int_funnel_milestones with what analysts
    derive from it (the furthest milestone, durations in days), defined once for
    marts.fct_funnel (which shows it) and for the conversion counts
    (int_funnel_conversion_counts).  No personal data: the lead is named by its id only.
-#}

{#-
    A view: each column is its entry's row of int_funnel_milestones, so the consumers
    compute it as they read, and a weekly run writes no copy of 434 k entries
    (docs/incremental.md).
-#}
{{ config(materialized='view') }}


with

milestones as (

    select * from {{ ref('int_funnel_milestones') }}

)

select
    entry_id,
    entry_milestone,
    entered_at,
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
    coalesce(won_at, lost_at) as closed_at,
    case
        when won_at is not null then 'won'
        when lost_at is not null then 'lost'
        when sql_at is not null then 'sql'
        when srl_at is not null then 'srl'
        else 'mql'
    end as furthest_milestone,
    sql_at is not null and (won_at is not null or lost_at is not null) as is_qualified_closed,
    stage_regressions,
    amount_reporting,
    {{ elapsed_hours('mql_at', 'first_touch_at') }} as hours_to_first_touch,
    {{ elapsed_days('mql_at', 'srl_at') }} as days_mql_to_srl,
    {{ elapsed_days('srl_at', 'sql_at') }} as days_srl_to_sql,
    case
        when sql_at is not null
            then {{ elapsed_days('sql_at', 'coalesce(won_at, lost_at)') }}
    end as days_sql_to_close,
    {{ elapsed_days('srl_at', 'coalesce(won_at, lost_at)') }} as sales_cycle_days

from milestones
