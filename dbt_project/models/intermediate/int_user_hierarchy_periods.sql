{#-
    Every user's management chain in each period of the hierarchy, any depth: one row
    per period per user per ancestor, the user itself at depth 0.  A period starts on a
    day a reporting line changed (stg_sugarcrm__user_versions) and lasts to the next
    such day (period_valid_to, exclusive; null for the period in force now); the first
    period has period_valid_from null (since always).  "The chain as of week end W" is
    the period with valid_from <= W < valid_to: a line changed during day D is in force
    at the end of day D.  With var hierarchy_as_of = 'current' there is one period,
    today's chain for all time.  The users are those of stg_sugarcrm__users, and the
    period in force now takes their reporting lines from it, so that its chains are
    exactly int_user_hierarchy's.

    Exports are not always clean, so the recursion stops at a manager already on the
    path (a cycle in reports_to) and at the depth limit (var hierarchy_max_depth), and a
    reports_to that names no user ends the chain without dropping the user.  The flags
    say whose chain is broken.
-#}

with recursive

current_users as (

    select user_id, reports_to_user_id
    from {{ ref('stg_sugarcrm__users') }}

),

versions as (

    select
        versions.user_id,
        versions.reporting_line_from,
        versions.reports_to_user_id
    from (
        select
            user_id,
            reports_to_user_id,
            cast(valid_from as date) as reporting_line_from,
            -- The last version of a day is the one in force at its end.
            row_number() over (partition by user_id, cast(valid_from as date) order by valid_from desc) as day_rank
        from {{ ref('stg_sugarcrm__user_versions') }}
    ) as versions
    where versions.day_rank = 1

),

period_starts as (

    select cast(null as date) as period_valid_from
    {%- if var('hierarchy_as_of') == 'as_of_week' %}
    union
    select reporting_line_from from versions where reporting_line_from is not null
    {%- endif %}

),

periods as (

    select
        period_valid_from,
        lead(period_valid_from) over (order by period_valid_from nulls first) as period_valid_to
    from period_starts

),

-- The version of each user in force in each period: the latest started by then (a version
-- with no start is in force from the beginning).
period_versions as (

    select
        periods.period_valid_from,
        versions.user_id,
        versions.reports_to_user_id,
        row_number() over (
            partition by periods.period_valid_from, versions.user_id
            order by versions.reporting_line_from desc nulls last
        ) as recency_rank
    from periods
    inner join versions
        on versions.reporting_line_from is null
        or versions.reporting_line_from <= periods.period_valid_from

),

-- Each user's reporting line in each period; the last period's is the current one.
users as (

    select
        periods.period_valid_from,
        periods.period_valid_to,
        current_users.user_id,
        case
            when periods.period_valid_to is null then current_users.reports_to_user_id
            else period_versions.reports_to_user_id
        end as reports_to_user_id
    from periods
    cross join current_users
    left join period_versions
        on period_versions.period_valid_from is not distinct from periods.period_valid_from
        and period_versions.user_id = current_users.user_id
        and period_versions.recency_rank = 1

),

chain (period_valid_from, user_id, ancestor_user_id, depth, visited_path) as (

    select
        period_valid_from,
        user_id,
        user_id,
        0,
        {{ dbt.concat(["'|'", 'user_id', "'|'"]) }}
    from users

    union all

    select
        chain.period_valid_from,
        chain.user_id,
        manager.user_id,
        chain.depth + 1,
        {{ dbt.concat(['chain.visited_path', 'manager.user_id', "'|'"]) }}
    from chain
    inner join users as ancestor
        on ancestor.user_id = chain.ancestor_user_id
        and ancestor.period_valid_from is not distinct from chain.period_valid_from
    inner join users as manager
        on manager.user_id = ancestor.reports_to_user_id
        and manager.period_valid_from is not distinct from chain.period_valid_from
    where chain.depth < {{ var('hierarchy_max_depth') }}
        and {{ dbt.position(dbt.concat(["'|'", 'manager.user_id', "'|'"]), 'chain.visited_path') }} = 0

),

-- How each chain ends: at a user without a manager (clean), at a manager who is not
-- a user (dangling), or at a manager already on the path (cycle).
chain_ends as (

    select
        chain.period_valid_from,
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
        and ancestor.period_valid_from is not distinct from chain.period_valid_from
    left join users as manager
        on manager.user_id = ancestor.reports_to_user_id
        and manager.period_valid_from is not distinct from chain.period_valid_from

),

user_flags as (

    select
        period_valid_from,
        user_id,
        max(depth) as chain_depth,
        max(is_cycle) = 1 as has_cycle,
        max(is_dangling) = 1 as has_dangling_manager
    from chain_ends
    group by period_valid_from, user_id

)

select
    periods.period_valid_from,
    periods.period_valid_to,
    chain.user_id,
    chain.ancestor_user_id,
    chain.depth,
    user_flags.chain_depth,
    user_flags.has_cycle,
    user_flags.has_dangling_manager

from chain
inner join user_flags
    on user_flags.user_id = chain.user_id
    and user_flags.period_valid_from is not distinct from chain.period_valid_from
inner join periods
    on periods.period_valid_from is not distinct from chain.period_valid_from
