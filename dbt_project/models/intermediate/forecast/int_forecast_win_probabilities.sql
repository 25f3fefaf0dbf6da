{#-
    The win probabilities of the expected forecast (docs/marts.md: the expected forecast):
    of the deals that were open in a cell (macros/forecast.sql) at a week end of a
    closed quarter they were to close in, the share won within that quarter.

    One row per trained_through_week_end x level x cell.  trained_through_week_end is
    the last week end of the latest quarter the history includes: the table at E counts
    every closed quarter whose last week end is on or before E, and a forecast as of week
    end W reads the table of the latest E strictly before W, so it learns only from
    outcomes known before W (no leakage).

    A deal counts once per cell per quarter (however many week ends it sat in the cell),
    so a slow deal does not weigh more than a fast one.  A deal whose close date moved to
    the next quarter counts in both quarters: lost in the first, maybe won in the second.
-#}

with

deal_weeks as (

    select * from {{ ref('int_forecast_expected_deal_weeks') }}
    where is_won_in_quarter is not null

),

training_cutoffs as (

    select distinct quarter_last_week_end as trained_through_week_end
    from deal_weeks

),

{%- set cell_columns = forecast_cell_columns() %}
{%- set levels = forecast_cell_levels() %}
{#-
    Each level's deals: a deal once per closed quarter and cell, won if it was won in the
    quarter. A level whose columns are a subset of the level before it (each coarser level
    so far) is grouped from that level's rows, far fewer than the deal weeks.
#}
{%- for level in levels %}
{%- set previous = levels[loop.index0 - 1] if not loop.first else none %}
{%- set source = 'level_' ~ loop.index0 ~ '_deals' if previous is not none and level | reject('in', previous) | list | length == 0 else 'deal_weeks' %}

level_{{ loop.index }}_deals as (

    select
        quarter_last_week_end,
        opportunity_id,
        {%- for column in level %}
        {{ column }},
        {%- endfor %}
        {{ dbt.bool_or('is_won_in_quarter') }} as is_won_in_quarter
    from {{ source }}
    group by quarter_last_week_end, opportunity_id{% for column in level %}, {{ column }}{% endfor %}

),
{%- endfor %}

-- Each closed quarter's deals per cell at every level.
quarter_cells as (
    {%- for level in levels %}

    select
        {{ loop.index }} as cell_level,
        quarter_last_week_end,
        {%- for column in cell_columns %}
        {% if column in level %}{{ column }}{% else %}null{% endif %} as {{ column }},
        {%- endfor %}
        count(*) as deals,
        sum(case when is_won_in_quarter then 1 else 0 end) as won_deals
    from level_{{ loop.index }}_deals
    group by quarter_last_week_end{% for column in level %}, {{ column }}{% endfor %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select
    training_cutoffs.trained_through_week_end,
    quarter_cells.cell_level,
    {%- for column in cell_columns %}
    quarter_cells.{{ column }},
    {%- endfor %}
    count(*) as quarters,
    sum(quarter_cells.deals) as deals,
    sum(quarter_cells.won_deals) as won_deals,
    cast(sum(quarter_cells.won_deals) as double) / sum(quarter_cells.deals) as win_probability

from training_cutoffs
inner join quarter_cells
    on quarter_cells.quarter_last_week_end <= training_cutoffs.trained_through_week_end
group by
    training_cutoffs.trained_through_week_end,
    quarter_cells.cell_level{% for column in cell_columns %},
    quarter_cells.{{ column }}{% endfor %}
