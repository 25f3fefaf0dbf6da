{#-
    The rows of a per-quarter forecast-tree mart (marts.mart_forecast_slippage,
    marts.mart_owner_performance), defined once: every node of the roll-up's tree
    (int_forecast_nodes) for every fiscal quarter of `deals` (a relation with
    fiscal_quarter, fiscal_quarter_start and fiscal_quarter_end), with whether the
    quarter ended on or before the as-of date, so that a node without deals in a quarter
    has its row of zeros.  A rep's deals reach the nodes of the chain in force on the
    quarter's last day (in_hierarchy_period), the same chain this grid uses.
-#}
{% macro forecast_node_quarters(deals) -%}
    select
        quarters.fiscal_quarter,
        quarters.fiscal_quarter_start,
        quarters.fiscal_quarter_end,
        quarters.fiscal_quarter_end <= as_of.as_of_date as is_quarter_complete,
        nodes.node_id,
        nodes.node_type,
        nodes.node_name,
        nodes.node_title,
        nodes.parent_node_id,
        nodes.node_level
    from (select distinct fiscal_quarter, fiscal_quarter_start, fiscal_quarter_end from {{ deals }}) as quarters
    -- The tree of the hierarchy period in force on the quarter's last day (an open
    -- quarter's last day lies in the current period): one row per node, never one per period.
    inner join {{ ref('int_forecast_nodes') }} as nodes
        on {{ in_hierarchy_period('quarters.fiscal_quarter_end', 'nodes') }}
    cross join {{ ref('int_as_of') }} as as_of
{%- endmacro %}
