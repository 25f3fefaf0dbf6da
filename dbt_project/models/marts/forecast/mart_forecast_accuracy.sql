{#-
    How good each week's call was, once a quarter has closed (docs/domain.md: forecasting):
    every week's commit and best-case call and the expected forecast
    (mart_forecast_expected) per node against the closed won at the quarter's last week
    end; and, per node and week of quarter, the MAPE of each over the last four closed
    quarters (this one included).
-#}

{%- set forecasts = ['commit', 'best_case', 'expected'] -%}

with

rollup as (

    -- The calls made during the quarter: the weeks that reported it as the next quarter are not scored.
    select * from {{ ref('mart_forecast_rollup') }}
    where quarter_relation = 'current'

),

expected as (

    select as_of_week_end, fiscal_quarter, node_id, expected_total, expected_p10, expected_p90
    from {{ ref('mart_forecast_expected') }}

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
        expected.expected_total as expected_call,
        expected.expected_p10,
        expected.expected_p90,
        actuals.actual_closed_won,
        rollup.history_source
    from rollup
    inner join actuals
        on actuals.fiscal_quarter = rollup.fiscal_quarter
        and actuals.node_id = rollup.node_id
    left join expected
        on expected.as_of_week_end = rollup.as_of_week_end
        and expected.fiscal_quarter = rollup.fiscal_quarter
        and expected.node_id = rollup.node_id
    where rollup.is_quarter_closed

),

scored as (

    select
        *,
        {%- for forecast in forecasts %}
        case
            when actual_closed_won > 0
                then abs(cast({{ forecast }}_call - actual_closed_won as double)) / cast(actual_closed_won as double)
        end as {{ forecast }}_abs_pct_error{{ ',' if not loop.last }}
        {%- endfor %}
    from calls

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
    expected_call,
    expected_p10,
    expected_p90,
    {%- for forecast in forecasts %}
    1 - {{ forecast }}_abs_pct_error as {{ forecast }}_accuracy,
    {%- endfor %}
    {%- for forecast in forecasts %}
    {{ forecast }}_call - actual_closed_won as {{ forecast }}_bias,
    {%- endfor %}
    -- The mean absolute percentage error over the last four closed quarters (this one and
    -- the three before it at the same node and week of quarter; quarters without an actual
    -- or a forecast leave it out, *_mape_quarters says how many were averaged).
    {%- for forecast in forecasts %}
    avg({{ forecast }}_abs_pct_error) over last_four_quarters as {{ forecast }}_mape,
    count({{ forecast }}_abs_pct_error) over last_four_quarters as {{ forecast }}_mape_quarters,
    {%- endfor %}
    expected_p10 <= actual_closed_won and actual_closed_won <= expected_p90 as is_actual_in_expected_range,
    history_source

from scored
window last_four_quarters as (
    partition by node_id, week_of_quarter order by as_of_week_end rows between 3 preceding and current row
)
