{#-
    The forecast rolled up through the management chain (docs/domain.md: forecasting): each
    node's figures are the sum over the reps of its subtree (int_forecast_owner_nodes:
    the node itself and everyone reporting into it, any depth), so a manager's row is
    its direct reports' rows plus its own deals, and the company row is the sum over
    every owner (deals without an owner or whose owner is not in the users file
    included).  Every node (int_forecast_nodes) has a row at every week end of every
    quarter in the spine (int_forecast_quarter_weeks), zeros included, so that
    week-over-week changes are always against the previous week.

    Each week end reports its current quarter(s) and the next one (quarter_relation
    'current' / 'next', from int_forecast_quarter_weeks); changes are taken within the
    same quarter and relation, so a quarter's first 'current' week has no change even
    though the week before reported it as 'next'.  Whoever means "the quarter the week
    is in" filters quarter_relation = 'current'.

    A deal whose owner is not in the users file (or has no owner) does not stop the
    forecast (the relationships test on its owner warns): it rolls up under the node
    'unknown_owner' ("Unknown owner", directly under the company), each unknown owner
    id a node below it, so the company row is still the sum of the rows under it and
    the figures nobody can be held to are in plain sight.

    The chain of a past week is the one in force at that week end (var hierarchy_as_of
    = 'as_of_week', the default: int_sales_hierarchy's periods), so a rep who moved to
    another manager rolls up under the old one before the move and the new one after;
    'current' rolls every week up the chain of today.  Targets add up today's chain.
-#}

{#- The additive figures of one owner's deals, summed up every node of the tree. -#}
{%- set owner_figures = ['closed_won', 'open_commit', 'open_best_case', 'pipeline', 'omitted', 'open_deals', 'won_deals', 'derived_history_deals'] -%}

with

quarter_weeks as (

    select
        fiscal_quarter,
        fiscal_quarter_start,
        fiscal_quarter_end,
        as_of_week_end,
        quarter_relation,
        week_of_quarter,
        is_last_week_of_quarter,
        is_quarter_closed
    from {{ ref('int_forecast_quarter_weeks') }}

),

owner_weekly as (

    select * from {{ ref('int_forecast_owner_weekly') }}

),

owner_nodes as (

    select * from {{ ref('int_forecast_owner_nodes') }}

),

nodes as (

    select * from {{ ref('int_forecast_nodes') }}

),

node_targets as (

    select * from {{ ref('int_forecast_node_targets') }}

),

node_figures as (

    select
        owner_weekly.as_of_week_end,
        owner_weekly.fiscal_quarter,
        owner_nodes.node_id,
        {%- for figure in owner_figures %}
        sum(owner_weekly.{{ figure }}) as {{ figure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from owner_weekly
    inner join owner_nodes
        on owner_nodes.owner_user_id is not distinct from owner_weekly.owner_user_id
        and {{ in_hierarchy_period('owner_weekly.as_of_week_end', 'owner_nodes') }}
    group by owner_weekly.as_of_week_end, owner_weekly.fiscal_quarter, owner_nodes.node_id

),

dense as (

    select
        quarter_weeks.as_of_week_end,
        quarter_weeks.fiscal_quarter,
        quarter_weeks.fiscal_quarter_start,
        quarter_weeks.fiscal_quarter_end,
        quarter_weeks.quarter_relation,
        quarter_weeks.week_of_quarter,
        quarter_weeks.is_last_week_of_quarter,
        quarter_weeks.is_quarter_closed,
        nodes.node_id, nodes.node_type, nodes.node_user_id, nodes.node_name, nodes.node_title,
        nodes.parent_node_id, nodes.node_level, nodes.has_cycle, nodes.has_dangling_manager, nodes.is_known_user,
        cast(coalesce(node_figures.closed_won, 0) as {{ dbt.type_numeric() }}) as closed_won,
        cast(coalesce(node_figures.closed_won, 0) + coalesce(node_figures.open_commit, 0) as {{ dbt.type_numeric() }}) as commit,
        cast(
            coalesce(node_figures.closed_won, 0) + coalesce(node_figures.open_commit, 0)
            + coalesce(node_figures.open_best_case, 0) as {{ dbt.type_numeric() }}
        ) as best_case,
        cast(coalesce(node_figures.pipeline, 0) as {{ dbt.type_numeric() }}) as pipeline,
        cast(coalesce(node_figures.omitted, 0) as {{ dbt.type_numeric() }}) as omitted,
        coalesce(node_figures.open_deals, 0) as open_deals,
        coalesce(node_figures.won_deals, 0) as won_deals,
        -- Where the history of the deals behind the figures comes from (docs/mappings.md).
        case
            when coalesce(node_figures.open_deals, 0) + coalesce(node_figures.won_deals, 0) = 0 then null
            when node_figures.derived_history_deals = 0 then 'audit_log'
            when node_figures.derived_history_deals = node_figures.open_deals + node_figures.won_deals then 'derived'
            else 'mixed'
        end as history_source,
        cast(node_targets.target as {{ dbt.type_numeric() }}) as target
    from quarter_weeks
    inner join nodes
        on {{ in_hierarchy_period('quarter_weeks.as_of_week_end', 'nodes') }}
    left join node_figures
        on node_figures.as_of_week_end = quarter_weeks.as_of_week_end
        and node_figures.fiscal_quarter = quarter_weeks.fiscal_quarter
        and node_figures.node_id = nodes.node_id
    left join node_targets
        on node_targets.node_id = nodes.node_id
        and node_targets.fiscal_quarter = quarter_weeks.fiscal_quarter

)

select
    *,
    target - closed_won as remaining_target,
    case
        when target is not null and target - closed_won > 0
            then cast(pipeline as double) / cast(target - closed_won as double)
    end as coverage,
    {%- for figure in ['closed_won', 'commit', 'best_case', 'pipeline', 'omitted'] %}
    {{ figure }} - lag({{ figure }}) over node_quarter_weeks as {{ figure }}_change{{ ',' if not loop.last }}
    {%- endfor %}

from dense
window node_quarter_weeks as (partition by node_id, fiscal_quarter, quarter_relation order by as_of_week_end)
