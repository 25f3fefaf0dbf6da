{#-
    Slippage per fiscal quarter and node of the forecast tree (docs/domain.md: forecasting): of
    the deals expected to close in the quarter at some point, how many moved out of it still
    open (the waterfall's `pushed_out` and `slipped` lines, int_pipeline_movement_lines),
    for how much, and how often a deal that moved out once moved out again.  The deals are
    int_forecast_slips, one per deal and quarter, credited to one owner; a node's figures
    are over its subtree, with the roll-up's node membership (int_forecast_owner_nodes), so
    every figure but the rates is the sum over the node's reps.  Every node has a row for
    every quarter a deal was expected in, zeros included; a rate is null when its
    denominator is zero.
-#}

with

slips as (

    select * from {{ ref('int_forecast_slips') }}

),

owner_nodes as (

    select owner_user_id, node_id, hierarchy_valid_from, hierarchy_valid_to from {{ ref('int_forecast_owner_nodes') }}

),

node_quarters as (

    {{ forecast_node_quarters('slips') }}

),

node_figures as (

    select
        slips.fiscal_quarter,
        owner_nodes.node_id,
        count(*) as expected_deals,
        count(case when slips.is_moved_out then 1 end) as moved_out_deals,
        count(case when slips.move_out_kind = 'pushed_out' then 1 end) as pushed_out_deals,
        count(case when slips.move_out_kind = 'slipped' then 1 end) as slipped_deals,
        sum(slips.moved_out_amount) as moved_out_amount,
        sum(case when slips.move_out_kind = 'pushed_out' then slips.moved_out_amount else 0 end) as pushed_out_amount,
        sum(case when slips.move_out_kind = 'slipped' then slips.moved_out_amount else 0 end) as slipped_amount,
        count(case when slips.is_moved_out and slips.prior_move_outs > 0 then 1 end) as repeat_moved_out_deals,
        count(case when slips.is_moved_out and slips.prior_move_outs = 0 then 1 end) as first_moved_out_deals,
        count(case when slips.is_moved_out and slips.prior_move_outs = 0 and slips.later_move_outs > 0 then 1 end)
            as moved_out_again_deals
    from slips
    inner join owner_nodes
        on owner_nodes.owner_user_id is not distinct from slips.owner_user_id
        -- the chain in force on the quarter's last day (macros/forecast_nodes.sql)
        and {{ in_hierarchy_period('slips.fiscal_quarter_end', 'owner_nodes') }}
    group by slips.fiscal_quarter, owner_nodes.node_id

),

dense as (

    select
        node_quarters.*,
        {%- for count in ['expected_deals', 'moved_out_deals', 'pushed_out_deals', 'slipped_deals',
                          'repeat_moved_out_deals', 'first_moved_out_deals', 'moved_out_again_deals'] %}
        coalesce(node_figures.{{ count }}, 0) as {{ count }},
        {%- endfor %}
        {%- for amount in ['moved_out_amount', 'pushed_out_amount', 'slipped_amount'] %}
        cast(coalesce(node_figures.{{ amount }}, 0) as {{ dbt.type_numeric() }}) as {{ amount }}{{ ',' if not loop.last }}
        {%- endfor %}
    from node_quarters
    left join node_figures
        on node_figures.fiscal_quarter = node_quarters.fiscal_quarter
        and node_figures.node_id = node_quarters.node_id

)

select
    *,
    case when expected_deals > 0 then cast(moved_out_deals as double) / expected_deals end as moved_out_rate,
    case when expected_deals > 0 then cast(slipped_deals as double) / expected_deals end as slip_rate,
    case when first_moved_out_deals > 0
        then cast(moved_out_again_deals as double) / first_moved_out_deals end as moved_out_again_rate
from dense
