{#-
    Every user's management chain, any depth: one row per user per ancestor, the
    user itself at depth 0.  Exports are not always clean, so the recursion stops
    at a manager already on the path (a cycle in reports_to) and at the depth limit
    (var hierarchy_max_depth), and a reports_to that names no user ends the chain
    without dropping the user.  The flags say whose chain is broken.
-#}

with recursive

users as (

    select
        user_id,
        reports_to_user_id
    from {{ ref('stg_sugarcrm__users') }}

),

chain (user_id, ancestor_user_id, depth, visited_path) as (

    select
        user_id,
        user_id,
        0,
        {{ dbt.concat(["'|'", 'user_id', "'|'"]) }}
    from users

    union all

    select
        chain.user_id,
        manager.user_id,
        chain.depth + 1,
        {{ dbt.concat(['chain.visited_path', 'manager.user_id', "'|'"]) }}
    from chain
    inner join users as ancestor
        on ancestor.user_id = chain.ancestor_user_id
    inner join users as manager
        on manager.user_id = ancestor.reports_to_user_id
    where chain.depth < {{ var('hierarchy_max_depth') }}
        and {{ dbt.position(dbt.concat(["'|'", 'manager.user_id', "'|'"]), 'chain.visited_path') }} = 0

),

-- How each chain ends: at a user without a manager (clean), at a manager who is not
-- a user (dangling), or at a manager already on the path (cycle).
chain_ends as (

    select
        chain.user_id,
        chain.depth,
        case
            when ancestor.reports_to_user_id is not null
                and manager.user_id is null
                then 1 else 0
        end as is_dangling,
        case
            when manager.user_id is not null
                and {{ dbt.position(dbt.concat(["'|'", 'manager.user_id', "'|'"]), 'chain.visited_path') }} > 0
                then 1 else 0
        end as is_cycle

    from chain
    inner join users as ancestor
        on ancestor.user_id = chain.ancestor_user_id
    left join users as manager
        on manager.user_id = ancestor.reports_to_user_id

),

user_flags as (

    select
        user_id,
        max(depth) as chain_depth,
        max(is_cycle) = 1 as has_cycle,
        max(is_dangling) = 1 as has_dangling_manager
    from chain_ends
    group by user_id

)

select
    chain.user_id,
    chain.ancestor_user_id,
    chain.depth,
    user_flags.chain_depth,
    user_flags.has_cycle,
    user_flags.has_dangling_manager

from chain
inner join user_flags
    on user_flags.user_id = chain.user_id
