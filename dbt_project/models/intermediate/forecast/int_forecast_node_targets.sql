{#-
    Each forecast node's target per fiscal quarter (stg_reference__targets): the sum of
    the targets of everyone in the node's subtree (int_sales_hierarchy, managers' own
    included).  A target of a user the users file does not have is its own node's and
    'unknown_owner''s; the company's is every target of the quarter.
-#}

with

targets as (

    select
        user_id,
        fiscal_period as fiscal_quarter,
        target_amount
    from {{ ref('stg_reference__targets') }}

),

hierarchy as (

    -- A quarter's targets add up the chain in force now (not the chain of each week).
    select user_id, ancestor_user_id
    from {{ ref('int_sales_hierarchy') }}
    where hierarchy_valid_to is null

)

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
