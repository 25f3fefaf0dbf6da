{#-
    How each rep and every manager level performed per fiscal quarter (docs/domain.md: the
    qualified pipeline, hunting and farming), one row per fiscal quarter x node of the
    forecast tree x motion (hunting, farming, `all`).  A node's figures are over the
    deals of its subtree: the same node membership as the roll-up
    (int_forecast_owner_nodes: the owner itself, every manager above it at any depth,
    'unknown_owner' for owners the users file lacks, and the company), so a manager's
    additive figures are the sum of its reps' and its own, and its median is the median
    of its subtree's deals.  The deals and the quarter each counts in are
    int_owner_performance_deals.  Every node has a row for every quarter and motion,
    zeros included; rates are null when their denominator is zero.
-#}

with

deals as (

    select * from {{ ref('int_owner_performance_deals') }}

),

owner_nodes as (

    select owner_user_id, node_id, hierarchy_valid_from, hierarchy_valid_to from {{ ref('int_forecast_owner_nodes') }}

),

node_quarters as (

    {{ forecast_node_quarters('deals') }}

),

node_targets as (

    select * from {{ ref('int_forecast_node_targets') }}

),

motions as (

    select 'hunting' as motion
    union all
    select 'farming'
    union all
    select 'all'

),

node_figures as (

    select
        deals.fiscal_quarter,
        owner_nodes.node_id,
        case when grouping(deals.motion) = 1 then 'all' else deals.motion end as motion,
        count(case when deals.deal_role = 'won' then 1 end) as won_deals,
        count(case when deals.deal_role = 'lost' and deals.is_qualified then 1 end) as lost_deals,
        count(case when deals.deal_role = 'lost' and not deals.is_qualified then 1 end) as lost_unqualified_deals,
        sum(case when deals.deal_role = 'won' then deals.amount_reporting else 0 end) as bookings,
        sum(case when deals.deal_role = 'lost' and deals.is_qualified then deals.amount_reporting else 0 end)
            as lost_amount,
        count(case when deals.deal_role = 'created' then 1 end) as created_deals,
        sum(case when deals.deal_role = 'created' then deals.amount_reporting else 0 end) as pipeline_created,
        percentile_cont(0.5) within group (order by deals.sales_cycle_days) as median_sales_cycle_days
    from deals
    inner join owner_nodes
        on owner_nodes.owner_user_id is not distinct from deals.owner_user_id
        -- the chain in force on the quarter's last day (macros/forecast_nodes.sql)
        and {{ in_hierarchy_period('deals.fiscal_quarter_end', 'owner_nodes') }}
    group by grouping sets (
        (deals.fiscal_quarter, owner_nodes.node_id, deals.motion),
        (deals.fiscal_quarter, owner_nodes.node_id)
    )

),

dense as (

    select
        node_quarters.*,
        motions.motion,
        coalesce(node_figures.won_deals, 0) as won_deals,
        coalesce(node_figures.lost_deals, 0) as lost_deals,
        coalesce(node_figures.lost_unqualified_deals, 0) as lost_unqualified_deals,
        cast(coalesce(node_figures.bookings, 0) as {{ dbt.type_numeric() }}) as bookings,
        cast(coalesce(node_figures.lost_amount, 0) as {{ dbt.type_numeric() }}) as lost_amount,
        coalesce(node_figures.created_deals, 0) as created_deals,
        cast(coalesce(node_figures.pipeline_created, 0) as {{ dbt.type_numeric() }}) as pipeline_created,
        node_figures.median_sales_cycle_days,
        -- A target is a node's, not a motion's: on the `all` row only.
        case when motions.motion = 'all' then cast(node_targets.target as {{ dbt.type_numeric() }}) end as target
    from node_quarters
    cross join motions
    left join node_figures
        on node_figures.fiscal_quarter = node_quarters.fiscal_quarter
        and node_figures.node_id = node_quarters.node_id
        and node_figures.motion = motions.motion
    left join node_targets
        on node_targets.node_id = node_quarters.node_id
        and node_targets.fiscal_quarter = node_quarters.fiscal_quarter

),

rated as (

    select
        dense.*,
        case when won_deals > 0 then cast(bookings as double) / won_deals end as average_won_deal,
        case when won_deals + lost_deals > 0
            then cast(won_deals as double) / cast(won_deals + lost_deals as double) end as win_rate_count,
        case when bookings + lost_amount > 0
            then cast(bookings as double) / cast(bookings + lost_amount as double) end as win_rate_value,
        {{ win_rate_benchmark('motion') }} as win_rate_benchmark,
        {{ win_rate_benchmark_low(win_rate_benchmark('motion')) }} as win_rate_benchmark_low,
        {{ win_rate_benchmark_high(win_rate_benchmark('motion')) }} as win_rate_benchmark_high,
        case when target > 0 then cast(bookings as double) / cast(target as double) end as quota_attainment
    from dense

)

select
    *,
    {{ versus_band('win_rate_count', 'win_rate_benchmark_low', 'win_rate_benchmark_high') }} as win_rate_count_vs_benchmark,
    {{ versus_band('win_rate_value', 'win_rate_benchmark_low', 'win_rate_benchmark_high') }} as win_rate_value_vs_benchmark
from rated
