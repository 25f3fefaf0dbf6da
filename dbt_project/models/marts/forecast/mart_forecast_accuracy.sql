{#-
    How good each week's call was, once a quarter has closed (docs/domain.md: forecasting):
    every week's commit and best-case call per node against the closed won at the
    quarter's last week end.
-#}

with

rollup as (

    -- The calls made during the quarter: the weeks that reported it as the next quarter are not scored.
    select * from {{ ref('mart_forecast_rollup') }}
    where quarter_relation = 'current'

),

actuals as (

    select
        fiscal_quarter,
        node_id,
        closed_won as actual_closed_won
    from rollup
    where is_last_week_of_quarter

),

calls as (

    select
        rollup.fiscal_quarter,
        rollup.week_of_quarter,
        rollup.as_of_week_end,
        rollup.node_id,
        rollup.node_type,
        rollup.node_user_id,
        rollup.node_name,
        rollup.parent_node_id,
        rollup.node_level,
        rollup.closed_won as closed_won_so_far,
        rollup.commit as commit_call,
        rollup.best_case as best_case_call,
        actuals.actual_closed_won,
        rollup.history_source
    from rollup
    inner join actuals
        on actuals.fiscal_quarter = rollup.fiscal_quarter
        and actuals.node_id = rollup.node_id
    where rollup.is_quarter_closed

)

select
    fiscal_quarter,
    week_of_quarter,
    as_of_week_end,
    node_id,
    node_type,
    node_user_id,
    node_name,
    parent_node_id,
    node_level,
    closed_won_so_far,
    commit_call,
    best_case_call,
    actual_closed_won,
    case
        when actual_closed_won > 0
            then 1 - abs(cast(commit_call - actual_closed_won as double)) / cast(actual_closed_won as double)
    end as commit_accuracy,
    case
        when actual_closed_won > 0
            then 1 - abs(cast(best_case_call - actual_closed_won as double)) / cast(actual_closed_won as double)
    end as best_case_accuracy,
    commit_call - actual_closed_won as commit_bias,
    best_case_call - actual_closed_won as best_case_bias,
    history_source

from calls
