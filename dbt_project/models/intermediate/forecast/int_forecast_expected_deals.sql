{#-
    Each open deal's expected contribution to its quarter (docs/marts.md: the expected
    forecast): one row per as_of_week_end x fiscal_quarter x open deal closing in it
    (int_forecast_expected_deal_weeks), with the probability that a deal like it is won
    within the quarter (int_forecast_win_probabilities) from the history before the week
    end: the table trained through the latest closed quarter whose last week end is
    strictly before as_of_week_end.

    The probability is the finest cell level (macros/forecast.sql) whose cell had
    at least forecast_cell_min_deals() deals; level 5 (every deal) is used with any
    number.  No closed quarter before the week end: no probability (null), and the
    expected forecast of that week end is null rather than a guess.

    expected_amount = p x amount; amount_variance = p (1 - p) x amount^2 (the deal is
    won, in full, or not: a Bernoulli variable).
-#}
{%- set cell_columns = forecast_cell_columns() %}
{%- set levels = forecast_cell_levels() %}

with

deal_weeks as (

    select * from {{ ref('int_forecast_expected_deal_weeks') }}

),

probabilities as (

    select * from {{ ref('int_forecast_win_probabilities') }}

),

training_cutoffs as (

    select distinct trained_through_week_end from probabilities

),

-- The history each week end learns from: the latest table trained before it.
week_cutoffs as (

    select
        weeks.as_of_week_end,
        max(training_cutoffs.trained_through_week_end) as trained_through_week_end
    from (select distinct as_of_week_end from deal_weeks) as weeks
    inner join training_cutoffs
        on training_cutoffs.trained_through_week_end < weeks.as_of_week_end
    group by weeks.as_of_week_end

),

deal_cutoffs as (

    select
        deal_weeks.*,
        week_cutoffs.trained_through_week_end
    from deal_weeks
    left join week_cutoffs
        on week_cutoffs.as_of_week_end = deal_weeks.as_of_week_end

),

looked_up as (

    select
        deal_cutoffs.*,
        case
            {%- for level in levels %}
            when level_{{ loop.index }}.deals >= {{ forecast_cell_min_deals() if not loop.last else 1 }}
                then {{ loop.index }}
            {%- endfor %}
        end as cell_level,
        {%- for level in levels %}
        level_{{ loop.index }}.deals as level_{{ loop.index }}_deals,
        level_{{ loop.index }}.win_probability as level_{{ loop.index }}_probability{{ ',' if not loop.last }}
        {%- endfor %}
    from deal_cutoffs
    {%- for level in levels %}
    {%- set n = loop.index %}
    left join probabilities as level_{{ n }}
        on level_{{ n }}.trained_through_week_end = deal_cutoffs.trained_through_week_end
        and level_{{ n }}.cell_level = {{ n }}
        {%- for column in level %}
        and level_{{ n }}.{{ column }} = deal_cutoffs.{{ column }}
        {%- endfor %}
    {%- endfor %}

),

weighted as (

    select
        *,
        case cell_level
            {%- for level in levels %}
            when {{ loop.index }} then level_{{ loop.index }}_probability
            {%- endfor %}
        end as win_probability,
        case cell_level
            {%- for level in levels %}
            when {{ loop.index }} then level_{{ loop.index }}_deals
            {%- endfor %}
        end as cell_deals
    from looked_up

)

select
    as_of_week_end,
    fiscal_quarter,
    opportunity_id,
    owner_user_id,
    amount_reporting,
    {%- for column in cell_columns %}
    {{ column }},
    {%- endfor %}
    trained_through_week_end,
    cell_level,
    cell_deals,
    win_probability,
    win_probability * amount_reporting as expected_amount,
    win_probability * (1 - win_probability) * amount_reporting * amount_reporting as amount_variance

from weighted
