{#-
    The expected forecast (docs/marts.md: the expected forecast), next to the reps' call:
    per as_of_week_end x fiscal_quarter x node, the same rows as mart_forecast_rollup.

    expected_total = closed_won + expected_from_open + expected_from_new + expected_from_pulled_in:
    - expected_from_open: each open deal closing in the quarter x the probability that
      a deal like it was won within the quarter, in the history before the week end
      (int_forecast_expected_deals);
    - expected_from_new, expected_from_pulled_in: what deals not in the pipeline at that
      point brought in the latest closed quarters (int_forecast_expected_new).
    The range: a normal approximation, variance = the open deals' Bernoulli variances +
    the sample variance of the outside term; p10 is never below closed_won; null with
    fewer than two quarters of history (no variance of the outside term yet).
    Null while no closed quarter before the week end can say anything (history_quarters 0).
-#}

{%- set z_90 = 1.2815515655446004 -%}  {#- the standard normal's 90th percentile -#}

with

rollup as (

    select * from {{ ref('mart_forecast_rollup') }}

),

owner_expected as (

    select
        as_of_week_end,
        fiscal_quarter,
        owner_user_id,
        sum(expected_amount) as expected_amount,
        sum(amount_variance) as amount_variance,
        count(*) - count(win_probability) as deals_without_probability
    from {{ ref('int_forecast_expected_deals') }}
    group by as_of_week_end, fiscal_quarter, owner_user_id

),

node_expected as (

    select
        owner_expected.as_of_week_end,
        owner_expected.fiscal_quarter,
        owner_nodes.node_id,
        sum(owner_expected.expected_amount) as expected_amount,
        sum(owner_expected.amount_variance) as amount_variance,
        sum(owner_expected.deals_without_probability) as deals_without_probability
    from owner_expected
    inner join {{ ref('int_forecast_owner_nodes') }} as owner_nodes
        on owner_nodes.owner_user_id is not distinct from owner_expected.owner_user_id
        and {{ in_hierarchy_period('owner_expected.as_of_week_end', 'owner_nodes') }}
    group by owner_expected.as_of_week_end, owner_expected.fiscal_quarter, owner_nodes.node_id

),

expected as (

    select
        rollup.*,
        coalesce(outside.history_quarters, 0) as history_quarters,
        -- The estimates are sums of doubles, whose last bits depend on the order the
        -- warehouse adds them in: in cents, a rebuild of the same drops gives the same
        -- figures, and the total is the sum of its parts as shown.
        {{ estimate_cents('case
            when coalesce(outside.history_quarters, 0) > 0 and coalesce(node_expected.deals_without_probability, 0) = 0
                then coalesce(node_expected.expected_amount, 0)
        end') }} as expected_from_open,
        {{ estimate_cents('case when outside.history_quarters > 0 then outside.expected_from_new end') }} as expected_from_new,
        {{ estimate_cents('case when outside.history_quarters > 0 then outside.expected_from_pulled_in end') }} as expected_from_pulled_in,
        sqrt(coalesce(node_expected.amount_variance, 0) + outside.outside_variance) as expected_std_dev
    from rollup
    left join node_expected
        on node_expected.as_of_week_end = rollup.as_of_week_end
        and node_expected.fiscal_quarter = rollup.fiscal_quarter
        and node_expected.node_id = rollup.node_id
    left join {{ ref('int_forecast_expected_new') }} as outside
        on outside.as_of_week_end = rollup.as_of_week_end
        and outside.fiscal_quarter = rollup.fiscal_quarter
        and outside.node_id = rollup.node_id

),

totals as (

    select
        *,
        closed_won + expected_from_open + expected_from_new + expected_from_pulled_in as expected_total
    from expected

)

select
    as_of_week_end, fiscal_quarter, fiscal_quarter_start, fiscal_quarter_end, week_of_quarter,
    is_last_week_of_quarter, is_quarter_closed,
    node_id, node_type, node_user_id, node_name, node_title, parent_node_id, node_level,
    closed_won, commit, best_case, pipeline, open_deals,
    expected_from_open, expected_from_new, expected_from_pulled_in, expected_total,
    case
        when expected_total is not null and expected_std_dev is not null
            then {{ estimate_cents('greatest(closed_won, expected_total - ' ~ z_90 ~ ' * expected_std_dev)') }}
    end as expected_p10,
    {{ estimate_cents('expected_total + ' ~ z_90 ~ ' * expected_std_dev') }} as expected_p90,
    {{ estimate_cents('expected_std_dev') }} as expected_std_dev,
    history_quarters

from totals
