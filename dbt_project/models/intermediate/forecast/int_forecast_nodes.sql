{#-
    The nodes of the forecast tree (docs/domain.md: forecasting), one row per node: every
    owner and manager a deal rolls up into (int_forecast_owner_nodes), named and placed
    by int_sales_hierarchy; 'unknown_owner' ("Unknown owner", directly under the
    company) when a deal has no owner or one the users file does not have, each unknown
    owner id a node below it; and 'company', the root.  A user node has one row per
    period of the hierarchy (hierarchy_valid_from / hierarchy_valid_to, as in
    int_forecast_owner_nodes): its parent and level are those of the week's chain.
-#}

with

owner_nodes as (

    select * from {{ ref('int_forecast_owner_nodes') }}

),

hierarchy as (

    select * from {{ ref('int_sales_hierarchy') }}
    where depth = 0

),

node_ids as (

    select distinct node_id, node_type
    from owner_nodes
    where node_type = 'user'

),

user_nodes as (

    select
        owner_nodes.node_id,
        owner_nodes.node_type,
        owner_nodes.node_id as node_user_id,
        coalesce(hierarchy.user_name, owner_nodes.node_id) as node_name,
        hierarchy.user_title as node_title,
        case
            when hierarchy.user_id is null then 'unknown_owner'
            else coalesce(hierarchy.manager_user_id, 'company')
        end as parent_node_id,
        case when hierarchy.user_id is null then 2 else hierarchy.user_level + 1 end as node_level,
        coalesce(hierarchy.has_cycle, false) as has_cycle,
        coalesce(hierarchy.has_dangling_manager, false) as has_dangling_manager,
        hierarchy.user_id is not null as is_known_user,
        hierarchy.hierarchy_valid_from,
        hierarchy.hierarchy_valid_to
    from node_ids as owner_nodes
    left join hierarchy
        on hierarchy.user_id = owner_nodes.node_id

)

select * from user_nodes

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
    false as is_known_user,
    cast(null as date) as hierarchy_valid_from,
    cast(null as date) as hierarchy_valid_to
where exists (select 1 from owner_nodes where node_type = 'unknown_owner')

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
    false as is_known_user,
    cast(null as date) as hierarchy_valid_from,
    cast(null as date) as hierarchy_valid_to
