{#-
    The roll-up adds up: every user node's row equals its own deals plus the rows of
    the nodes directly under it, the unknown-owner node's equals the rows under it plus
    the deals without an owner, and the company row equals the sum over every owner and
    the sum of the rows directly under it.  Returns the rows that do not add up.
-#}
{#- An asset check of mart_forecast_rollup in Dagster (the test reads the owners' weekly figures too). -#}
{{ config(meta={'dagster': {'ref': {'name': 'mart_forecast_rollup'}}}) }}

with

rollup as (

    select
        as_of_week_end,
        fiscal_quarter,
        node_id,
        parent_node_id,
        closed_won,
        commit,
        best_case,
        pipeline,
        omitted
    from {{ ref('mart_forecast_rollup') }}

),

owner_weekly as (

    select
        as_of_week_end,
        fiscal_quarter,
        owner_user_id,
        closed_won,
        closed_won + open_commit as commit,
        closed_won + open_commit + open_best_case as best_case,
        pipeline,
        omitted
    from {{ ref('int_forecast_owner_weekly') }}

),

parts as (

    select as_of_week_end, fiscal_quarter, parent_node_id as node_id,
        closed_won, commit, best_case, pipeline, omitted
    from rollup
    where parent_node_id is not null and parent_node_id <> 'company'

    union all

    select as_of_week_end, fiscal_quarter, owner_user_id as node_id,
        closed_won, commit, best_case, pipeline, omitted
    from owner_weekly
    where owner_user_id is not null

    union all

    select as_of_week_end, fiscal_quarter, 'unknown_owner' as node_id,
        closed_won, commit, best_case, pipeline, omitted
    from owner_weekly
    where owner_user_id is null

    union all

    select as_of_week_end, fiscal_quarter, 'company' as node_id,
        closed_won, commit, best_case, pipeline, omitted
    from owner_weekly

),

-- The company row a second way: the rows directly under it.
children_of_company as (

    select
        as_of_week_end,
        fiscal_quarter,
        'company' as node_id,
        sum(closed_won) as closed_won,
        sum(commit) as commit,
        sum(best_case) as best_case,
        sum(pipeline) as pipeline,
        sum(omitted) as omitted
    from rollup
    where parent_node_id = 'company'
    group by as_of_week_end, fiscal_quarter

),

expected as (

    select
        as_of_week_end,
        fiscal_quarter,
        node_id,
        sum(closed_won) as closed_won,
        sum(commit) as commit,
        sum(best_case) as best_case,
        sum(pipeline) as pipeline,
        sum(omitted) as omitted
    from parts
    group by as_of_week_end, fiscal_quarter, node_id

)

select
    rollup.as_of_week_end,
    rollup.fiscal_quarter,
    rollup.node_id,
    rollup.commit,
    expected.commit as expected_commit
from rollup
left join expected
    on expected.as_of_week_end = rollup.as_of_week_end
    and expected.fiscal_quarter = rollup.fiscal_quarter
    and expected.node_id = rollup.node_id
left join children_of_company as children
    on children.as_of_week_end = rollup.as_of_week_end
    and children.fiscal_quarter = rollup.fiscal_quarter
    and children.node_id = rollup.node_id
where abs(rollup.closed_won - coalesce(expected.closed_won, 0)) > 0.005
    or abs(rollup.commit - coalesce(expected.commit, 0)) > 0.005
    or abs(rollup.best_case - coalesce(expected.best_case, 0)) > 0.005
    or abs(rollup.pipeline - coalesce(expected.pipeline, 0)) > 0.005
    or abs(rollup.omitted - coalesce(expected.omitted, 0)) > 0.005
    or abs(rollup.closed_won - coalesce(children.closed_won, rollup.closed_won)) > 0.005
    or abs(rollup.commit - coalesce(children.commit, rollup.commit)) > 0.005
    or abs(rollup.best_case - coalesce(children.best_case, rollup.best_case)) > 0.005
    or abs(rollup.pipeline - coalesce(children.pipeline, rollup.pipeline)) > 0.005
    or abs(rollup.omitted - coalesce(children.omitted, rollup.omitted)) > 0.005
