{#-
    Which nodes of the forecast tree each owner's deals roll up into (docs/domain.md:
    forecasting): the owner itself and every manager above it (int_sales_hierarchy),
    and the company.  An owner missing from the users file is a node of its own,
    under the node 'unknown_owner'; deals without an owner (owner_user_id null) roll
    up into 'unknown_owner' and the company only.  node_type says which kind of node.

    A user's chain can change (var hierarchy_as_of): hierarchy_valid_from /
    hierarchy_valid_to (exclusive, null = open) say in which weeks an owner rolls up into
    a node, so an owner has one set of rows per period of the hierarchy.  A reader joins
    on the week as well: (hierarchy_valid_from is null or hierarchy_valid_from <= week)
    and (hierarchy_valid_to is null or week < hierarchy_valid_to).
-#}

with

-- Every owner a deal had at a week end (the as-of spine) or has now, not only the owners
-- with forecast figures: the performance and slippage marts roll up the deals of an
-- owner whose deals never closed in a reported quarter (one lost with an overdue close
-- date, one closing after the spine), and must not drop them from every node.
owners as (

    select owner_user_id from {{ ref('int_forecast_owner_weekly') }}
    union
    select owner_user_id from {{ ref('int_opportunity_weekly_state') }}
    union
    select owner_user_id from {{ ref('int_opportunities') }}

),

hierarchy as (

    select hierarchy_valid_from, hierarchy_valid_to, user_id, ancestor_user_id
    from {{ ref('int_sales_hierarchy') }}

),

known_users as (

    select distinct user_id from hierarchy

)

select
    hierarchy.user_id as owner_user_id,
    hierarchy.ancestor_user_id as node_id,
    'user' as node_type,
    hierarchy.hierarchy_valid_from,
    hierarchy.hierarchy_valid_to
from hierarchy
inner join owners
    on owners.owner_user_id = hierarchy.user_id

union all

select
    owner_user_id,
    owner_user_id as node_id,
    'user' as node_type,
    cast(null as date) as hierarchy_valid_from,
    cast(null as date) as hierarchy_valid_to
from owners
where owner_user_id not in (select user_id from known_users)

union all

select
    owner_user_id,
    'unknown_owner' as node_id,
    'unknown_owner' as node_type,
    cast(null as date) as hierarchy_valid_from,
    cast(null as date) as hierarchy_valid_to
from owners
where owner_user_id is null
    or owner_user_id not in (select user_id from known_users)

union all

select
    owner_user_id,
    'company' as node_id,
    'company' as node_type,
    cast(null as date) as hierarchy_valid_from,
    cast(null as date) as hierarchy_valid_to
from owners
