{#-
    Every user's management chain as it is now, any depth: one row per user per
    ancestor, the user itself at depth 0 (the period in force now of
    int_user_hierarchy_periods, which holds the recursion and its guards against a
    cycle in reports_to, the depth limit and a manager who is not a user).  The flags
    say whose chain is broken.
-#}

select
    user_id,
    ancestor_user_id,
    depth,
    chain_depth,
    has_cycle,
    has_dangling_manager
from {{ ref('int_user_hierarchy_periods') }}
where period_valid_to is null
