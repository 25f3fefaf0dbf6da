{#-
    What the expected forecast adds for deals not in the quarter's pipeline at the week
    end (docs/marts.md: the expected forecast): one row per as_of_week_end x
    fiscal_quarter x node (int_forecast_nodes).

    History: in each closed quarter, at each of its reported week ends V, the quarter's
    actual (int_forecast_expected_quarter_wins) splits into closed_won at V, deals in the
    open pipeline at V (int_forecast_expected_deal_weeks: the open term's business), and
    the rest, won later by deals that were not: `new` (created after V) and `pulled_in`
    (existed at V with a close date in another quarter, or closed, and won in the
    quarter after all).  Summed per node of the owner it closed under.

    Forecast as of W for quarter Q: the mean of the same figure over the last four closed
    quarters whose last week end is strictly before W, at the same number of weeks before
    the quarter's last week end (so week 3 learns from past weeks 3, and a next-quarter
    row from past next-quarter rows).  outside_variance is the sample variance over those
    quarters of new + pulled_in (null with fewer than two).
-#}

{%- set history_quarters = 4 -%}  {#- volumes drift: only the latest quarters say what "new" brings now -#}

with

quarter_weeks as (

    select
        as_of_week_end,
        fiscal_quarter,
        quarter_last_week_end,
        is_quarter_closed,
        cast({{ dbt.datediff('as_of_week_end', 'quarter_last_week_end', 'day') }} / 7 as integer) as weeks_before_quarter_end
    from {{ ref('int_forecast_quarter_weeks') }}

),

wins as (

    select * from {{ ref('int_forecast_expected_quarter_wins') }}

),

pipeline as (

    select as_of_week_end, fiscal_quarter, opportunity_id
    from {{ ref('int_forecast_expected_deal_weeks') }}

),

owner_nodes as (

    select * from {{ ref('int_forecast_owner_nodes') }}

),

nodes as (

    -- Every node of any hierarchy period (int_forecast_nodes has a row per node and period).
    select distinct node_id from {{ ref('int_forecast_nodes') }}

),

-- Each closed quarter's wins that, at week end V, were neither won yet nor in the pipeline.
outside_wins as (

    select
        quarter_weeks.fiscal_quarter,
        quarter_weeks.quarter_last_week_end,
        quarter_weeks.weeks_before_quarter_end,
        wins.owner_user_id,
        case when cast(wins.created_at as date) > quarter_weeks.as_of_week_end then wins.amount_reporting else 0 end as new_won,
        case when cast(wins.created_at as date) <= quarter_weeks.as_of_week_end then wins.amount_reporting else 0 end as pulled_in_won
    from quarter_weeks
    inner join wins
        on wins.fiscal_quarter = quarter_weeks.fiscal_quarter
        and wins.won_week_end > quarter_weeks.as_of_week_end
    left join pipeline
        on pipeline.as_of_week_end = quarter_weeks.as_of_week_end
        and pipeline.fiscal_quarter = quarter_weeks.fiscal_quarter
        and pipeline.opportunity_id = wins.opportunity_id
    where quarter_weeks.is_quarter_closed
        and pipeline.opportunity_id is null

),

node_history as (

    select
        outside_wins.quarter_last_week_end,
        outside_wins.weeks_before_quarter_end,
        owner_nodes.node_id,
        sum(outside_wins.new_won) as new_won,
        sum(outside_wins.pulled_in_won) as pulled_in_won
    from outside_wins
    inner join owner_nodes
        on owner_nodes.owner_user_id is not distinct from outside_wins.owner_user_id
        -- A past quarter's wins count for the chain in force at that quarter's last week end.
        and {{ in_hierarchy_period('outside_wins.quarter_last_week_end', 'owner_nodes') }}
    group by outside_wins.quarter_last_week_end, outside_wins.weeks_before_quarter_end, owner_nodes.node_id

),

-- The quarters each (week end, quarter) learns from: the latest closed ones with the same offset.
training as (

    select as_of_week_end, fiscal_quarter, quarter_last_week_end, weeks_before_quarter_end
    from (
        select
            forecast.as_of_week_end,
            forecast.fiscal_quarter,
            history.quarter_last_week_end,
            history.weeks_before_quarter_end,
            row_number() over (
                partition by forecast.as_of_week_end, forecast.fiscal_quarter
                order by history.quarter_last_week_end desc
            ) as recency_rank
        from quarter_weeks as forecast
        inner join quarter_weeks as history
            on history.weeks_before_quarter_end = forecast.weeks_before_quarter_end
            and history.quarter_last_week_end < forecast.as_of_week_end
            and history.is_quarter_closed
    ) as ranked
    where recency_rank <= {{ history_quarters }}

),

training_sizes as (

    select as_of_week_end, fiscal_quarter, count(*) as history_quarters
    from training
    group by as_of_week_end, fiscal_quarter

),

node_sums as (

    select
        training.as_of_week_end,
        training.fiscal_quarter,
        node_history.node_id,
        sum(node_history.new_won) as new_won,
        sum(node_history.pulled_in_won) as pulled_in_won,
        sum((node_history.new_won + node_history.pulled_in_won) * (node_history.new_won + node_history.pulled_in_won)) as outside_won_squared
    from training
    inner join node_history
        on node_history.quarter_last_week_end = training.quarter_last_week_end
        and node_history.weeks_before_quarter_end = training.weeks_before_quarter_end
    group by training.as_of_week_end, training.fiscal_quarter, node_history.node_id

)

select
    training_sizes.as_of_week_end,
    training_sizes.fiscal_quarter,
    nodes.node_id,
    training_sizes.history_quarters,
    cast(coalesce(node_sums.new_won, 0) as double) / training_sizes.history_quarters as expected_from_new,
    cast(coalesce(node_sums.pulled_in_won, 0) as double) / training_sizes.history_quarters as expected_from_pulled_in,
    -- Sample variance from the sums: (sum x^2 - n mean^2) / (n - 1), quarters without a win being x = 0.
    case
        when training_sizes.history_quarters >= 2 then greatest(0, (
            cast(coalesce(node_sums.outside_won_squared, 0) as double)
            - power(cast(coalesce(node_sums.new_won, 0) + coalesce(node_sums.pulled_in_won, 0) as double), 2)
                / training_sizes.history_quarters
        ) / (training_sizes.history_quarters - 1))
    end as outside_variance

from training_sizes
cross join nodes
left join node_sums
    on node_sums.as_of_week_end = training_sizes.as_of_week_end
    and node_sums.fiscal_quarter = training_sizes.fiscal_quarter
    and node_sums.node_id = nodes.node_id
