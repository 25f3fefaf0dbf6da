{#-
    The cells of the expected forecast's win probabilities (docs/marts.md: the expected
    forecast), finest first: which deals count as "like" an open deal.  When a cell has
    fewer than forecast_cell_min_deals() deals in the history, the next, coarser one is
    used; level 5 is every deal.  int_forecast_win_probabilities counts them and
    int_forecast_expected_deals looks them up: one definition for both.
-#}
{% macro forecast_cell_levels() %}
    {{ return([
        ['stage', 'motion', 'age_in_stage_bucket', 'has_slipped', 'days_left_bucket'],
        ['stage', 'motion', 'days_left_bucket'],
        ['stage', 'days_left_bucket'],
        ['stage'],
        [],
    ]) }}
{% endmacro %}

{#- The fewest deals a cell needs to be used (fewer: back off to the next level). -#}
{% macro forecast_cell_min_deals() %}{{ return(5) }}{% endmacro %}

{#- Every cell column; a level leaves the ones it does not use null. -#}
{% macro forecast_cell_columns() %}
    {{ return(['stage', 'motion', 'age_in_stage_bucket', 'has_slipped', 'days_left_bucket']) }}
{% endmacro %}

{#-
    A won row of the as-of spine counts at week end `week_end` from its own week end until
    the opportunity's next row (`next_week_end`: a reopened deal stops counting).  The
    roll-up's closed_won (int_forecast_owner_weekly) and the expected forecast's actuals
    (int_forecast_expected_quarter_wins) both use it.
-#}
{% macro won_row_counts_at(week_end, state) -%}
    {{ week_end }} >= {{ state }}.week_end
    and ({{ state }}.next_week_end is null or {{ week_end }} < {{ state }}.next_week_end)
{%- endmacro %}

{#-
    The as-of spine's won rows (is_won_this_week) with the `columns` asked for and
    `next_week_end`, the week end of the opportunity's next row (null when there is none),
    for won_row_counts_at.  Found by joining each won row to its deal's later rows, not by a
    window over the whole spine: a won row is rarely followed by any (a reopened deal), and
    ordering 1.6 M rows to find the few cost most of the models that read it.
-#}
{% macro won_spine_rows(columns) -%}
    select
        {%- for column in columns %}
        won.{{ column }},
        {%- endfor %}
        min(later.week_end) as next_week_end
    from {{ ref('int_opportunity_weekly_state') }} as won
    left join {{ ref('int_opportunity_weekly_state') }} as later
        on later.opportunity_id = won.opportunity_id
        and later.week_end > won.week_end
    where won.is_won_this_week
    group by {% for column in columns %}won.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}
