{#-
    The forecast rolled up through the management chain (docs/domain.md: forecasting): each
    node's figures are the sum over the reps of its subtree (dim_sales_hierarchy: the
    node itself and everyone reporting into it, any depth), so a manager's row is its
    direct reports' rows plus its own deals, and the company row is the sum over every
    owner (deals without an owner or whose owner is not in the users file included).
    Every node has a row at every week end of every quarter in the spine, zeros
    included, so that week-over-week changes are always against the previous week.

    A deal whose owner is not in the users file (or has no owner) does not stop the
    forecast (the relationships test on its owner warns): it rolls up under the node
    'unknown_owner' ("Unknown owner", directly under the company), each unknown owner
    id a node below it, so the company row is still the sum of the rows under it and
    the figures nobody can be held to are in plain sight.
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
        week_of_quarter,
        is_last_week_of_quarter,
        is_quarter_closed
    from {{ ref('int_forecast_quarter_weeks') }}

),

owner_weekly as (

    select
        as_of_week_end,
        fiscal_quarter,
        owner_user_id,
        {{ owner_figures | join(',\n        ') }}
    from {{ ref('int_forecast_owner_weekly') }}

),

hierarchy as (

    select
        user_id,
        ancestor_user_id,
        depth,
        user_level,
        user_name,
        user_title,
        manager_user_id,
        has_cycle,
        has_dangling_manager
    from {{ ref('dim_sales_hierarchy') }}

),

targets as (

    select
        user_id,
        fiscal_period as fiscal_quarter,
        target_amount
    from {{ ref('stg_reference__targets') }}

),

owners as (

    select distinct owner_user_id
    from owner_weekly
    where owner_user_id is not null

),

-- Each owner's nodes: itself and its managers; an owner missing from the users file
-- is a node of its own, under the unknown-owner node.
owner_nodes as (

    select
        hierarchy.user_id as owner_user_id,
        hierarchy.ancestor_user_id as node_user_id
    from hierarchy
    inner join owners
        on owners.owner_user_id = hierarchy.user_id

    union all

    select
        owners.owner_user_id,
        owners.owner_user_id as node_user_id
    from owners
    where owners.owner_user_id not in (select user_id from hierarchy)

    union all

    select
        owners.owner_user_id,
        'unknown_owner' as node_user_id
    from owners
    where owners.owner_user_id not in (select user_id from hierarchy)

),

-- Deals without an owner, or whose owner is not in the users file.
has_unknown_owner as (

    select count(*) > 0 as found
    from owner_weekly
    where owner_user_id is null
        or owner_user_id not in (select user_id from hierarchy)

),

user_nodes as (

    select distinct
        owner_nodes.node_user_id,
        coalesce(hierarchy.user_name, owner_nodes.node_user_id) as node_name,
        hierarchy.user_title as node_title,
        case
            when hierarchy.user_id is null then 'unknown_owner'
            else coalesce(hierarchy.manager_user_id, 'company')
        end as parent_node_id,
        case when hierarchy.user_id is null then 2 else hierarchy.user_level + 1 end as node_level,
        coalesce(hierarchy.has_cycle, false) as has_cycle,
        coalesce(hierarchy.has_dangling_manager, false) as has_dangling_manager,
        hierarchy.user_id is not null as is_known_user
    from owner_nodes
    left join hierarchy
        on hierarchy.user_id = owner_nodes.node_user_id
        and hierarchy.depth = 0
    where owner_nodes.node_user_id <> 'unknown_owner'

),

nodes as (

    select
        node_user_id as node_id,
        'user' as node_type,
        node_user_id,
        node_name,
        node_title,
        parent_node_id,
        node_level,
        has_cycle,
        has_dangling_manager,
        is_known_user
    from user_nodes

    union all

    select
        'unknown_owner' as node_id,
        'unknown_owner' as node_type,
        cast(null as {{ dbt.type_string() }}) as node_user_id,
        'Unknown owner' as node_name,
        'Deals whose owner is not in the users file, or empty' as node_title,
        'company' as parent_node_id,
        1 as node_level,
        false as has_cycle,
        false as has_dangling_manager,
        false as is_known_user
    from has_unknown_owner
    where found

    union all

    select
        'company' as node_id,
        'company' as node_type,
        cast(null as {{ dbt.type_string() }}) as node_user_id,
        'Company' as node_name,
        cast(null as {{ dbt.type_string() }}) as node_title,
        cast(null as {{ dbt.type_string() }}) as parent_node_id,
        0 as node_level,
        false as has_cycle,
        false as has_dangling_manager,
        false as is_known_user

),

node_deals as (

    select
        owner_weekly.as_of_week_end,
        owner_weekly.fiscal_quarter,
        owner_nodes.node_user_id as node_id,
        {%- for column in owner_figures %}
        owner_weekly.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from owner_weekly
    inner join owner_nodes
        on owner_nodes.owner_user_id = owner_weekly.owner_user_id

    union all

    select
        as_of_week_end,
        fiscal_quarter,
        'unknown_owner' as node_id,
        {{ owner_figures | join(',\n        ') }}
    from owner_weekly
    where owner_user_id is null

    union all

    select
        as_of_week_end,
        fiscal_quarter,
        'company' as node_id,
        {{ owner_figures | join(',\n        ') }}
    from owner_weekly

),

node_figures as (

    select
        as_of_week_end,
        fiscal_quarter,
        node_id,
        sum(closed_won) as closed_won,
        sum(open_commit) as open_commit,
        sum(open_best_case) as open_best_case,
        sum(pipeline) as pipeline,
        sum(omitted) as omitted,
        sum(open_deals) as open_deals,
        sum(won_deals) as won_deals,
        sum(derived_history_deals) as derived_history_deals
    from node_deals
    group by as_of_week_end, fiscal_quarter, node_id

),

-- Targets of everyone in the node's subtree (managers' own included); the company's
-- is every target of the quarter.
node_targets as (

    select
        hierarchy.ancestor_user_id as node_id,
        targets.fiscal_quarter,
        sum(targets.target_amount) as target
    from targets
    inner join hierarchy
        on hierarchy.user_id = targets.user_id
    group by hierarchy.ancestor_user_id, targets.fiscal_quarter

    union all

    select
        targets.user_id as node_id,
        targets.fiscal_quarter,
        sum(targets.target_amount) as target
    from targets
    where targets.user_id not in (select user_id from hierarchy)
    group by targets.user_id, targets.fiscal_quarter

    union all

    select
        'unknown_owner' as node_id,
        targets.fiscal_quarter,
        sum(targets.target_amount) as target
    from targets
    where targets.user_id not in (select user_id from hierarchy)
    group by targets.fiscal_quarter

    union all

    select
        'company' as node_id,
        fiscal_quarter,
        sum(target_amount) as target
    from targets
    group by fiscal_quarter

),

dense as (

    select
        quarter_weeks.as_of_week_end,
        quarter_weeks.fiscal_quarter,
        quarter_weeks.fiscal_quarter_start,
        quarter_weeks.fiscal_quarter_end,
        quarter_weeks.week_of_quarter,
        quarter_weeks.is_last_week_of_quarter,
        quarter_weeks.is_quarter_closed,
        nodes.node_id,
        nodes.node_type,
        nodes.node_user_id,
        nodes.node_name,
        nodes.node_title,
        nodes.parent_node_id,
        nodes.node_level,
        nodes.has_cycle,
        nodes.has_dangling_manager,
        nodes.is_known_user,
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
    cross join nodes
    left join node_figures
        on node_figures.as_of_week_end = quarter_weeks.as_of_week_end
        and node_figures.fiscal_quarter = quarter_weeks.fiscal_quarter
        and node_figures.node_id = nodes.node_id
    left join node_targets
        on node_targets.node_id = nodes.node_id
        and node_targets.fiscal_quarter = quarter_weeks.fiscal_quarter

)

select
    as_of_week_end,
    fiscal_quarter,
    fiscal_quarter_start,
    fiscal_quarter_end,
    week_of_quarter,
    is_last_week_of_quarter,
    is_quarter_closed,
    node_id,
    node_type,
    node_user_id,
    node_name,
    node_title,
    parent_node_id,
    node_level,
    has_cycle,
    has_dangling_manager,
    is_known_user,
    closed_won,
    commit,
    best_case,
    pipeline,
    omitted,
    open_deals,
    won_deals,
    history_source,
    target,
    target - closed_won as remaining_target,
    case
        when target is not null and target - closed_won > 0
            then cast(pipeline as double) / cast(target - closed_won as double)
    end as coverage,
    {%- for figure in ['closed_won', 'commit', 'best_case', 'pipeline', 'omitted'] %}
    {{ figure }} - lag({{ figure }}) over node_quarter_weeks as {{ figure }}_change{{ ',' if not loop.last }}
    {%- endfor %}

from dense
window node_quarter_weeks as (partition by node_id, fiscal_quarter order by as_of_week_end)
