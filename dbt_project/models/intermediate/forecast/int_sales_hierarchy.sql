{#-
    Every user's management chain, one row per user per ancestor (the user itself at
    depth 0), with names and titles, from int_user_hierarchy.  A chain that runs into a
    cycle in reports_to_id cannot be placed: the user keeps only its own row and sits
    directly under the company root (has_cycle).  A chain that ends at a reports_to_id
    naming no user stops at the last known manager, who sits under the company root
    (has_dangling_manager).  The test assert_user_hierarchy_is_clean reports both.
    It is intermediate so that the forecast roll-up's intermediate models
    (int_forecast_owner_nodes, int_forecast_nodes, int_forecast_node_targets) read no
    mart; marts.dim_sales_hierarchy shows it.

    One set of rows per period of the hierarchy (int_user_hierarchy_periods):
    hierarchy_valid_from / hierarchy_valid_to (exclusive; null = since always / still in
    force) say when the chain held, so that a past week of the roll-up uses the chain of
    that week (var hierarchy_as_of).  The period in force now has hierarchy_valid_to null.
-#}

{# The chain of today, whose test assert_user_hierarchy_is_clean reports a broken
   export: built and checked whenever the forecast is. #}
-- depends_on: {{ ref('int_user_hierarchy') }}

with

hierarchy as (

    select
        period_valid_from as hierarchy_valid_from,
        period_valid_to as hierarchy_valid_to,
        user_id,
        ancestor_user_id,
        depth,
        chain_depth,
        has_cycle,
        has_dangling_manager
    from {{ ref('int_user_hierarchy_periods') }}

),

users as (

    select
        user_id,
        user_name,
        first_name,
        last_name,
        title
    from {{ ref('stg_sugarcrm__users') }}

),

named as (

    select
        user_id,
        coalesce(
            nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''),
            user_name,
            user_id
        ) as display_name,
        title
    from users

),

-- Every user whose chain is in a cycle (in it, or reporting into it) is cut loose at
-- itself: a user's ancestors are then never in a cycle, so the roll-up adds up.
placed as (

    select
        hierarchy_valid_from,
        hierarchy_valid_to,
        user_id,
        ancestor_user_id,
        depth,
        case when has_cycle then 0 else chain_depth end as chain_depth,
        has_cycle,
        has_dangling_manager
    from hierarchy
    where not has_cycle
        or depth = 0

),

parents as (

    select
        hierarchy_valid_from,
        user_id,
        ancestor_user_id as manager_user_id
    from placed
    where depth = 1

)

select
    placed.hierarchy_valid_from,
    placed.hierarchy_valid_to,
    placed.user_id,
    placed.ancestor_user_id,
    placed.depth,
    placed.chain_depth - placed.depth as ancestor_level,
    placed.chain_depth as user_level,
    user_named.display_name as user_name,
    user_named.title as user_title,
    ancestor_named.display_name as ancestor_name,
    ancestor_named.title as ancestor_title,
    parents.manager_user_id,
    placed.has_cycle,
    placed.has_dangling_manager,
    parents.manager_user_id is null as is_under_company_root

from placed
inner join named as user_named
    on user_named.user_id = placed.user_id
inner join named as ancestor_named
    on ancestor_named.user_id = placed.ancestor_user_id
left join parents
    on parents.user_id = placed.user_id
    and parents.hierarchy_valid_from is not distinct from placed.hierarchy_valid_from
