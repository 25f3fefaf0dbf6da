{#-
    An opportunity's state at the end of a day, defined once for every as-of model:
    int_opportunity_weekly_state (each week end) and int_opportunity_period_end_state
    (each month and fiscal-quarter end).  "As of day D" means at the end of day D (UTC):
    the interval of int_opportunity_states in force then, i.e. the one with
    date(valid_from) <= D < date(valid_to) (macro state_in_force_at_end_of).
-#}

{#- The state intervals with what the as-of models need of the deal and its stage. -#}
{% macro opportunity_state_intervals() -%}
    select
        states.*,
        opportunities.created_at,
        opportunities.motion,
        opportunities.amount as current_amount,
        opportunities.amount_reporting as current_amount_reporting,
        opportunities.reporting_rate,
        opportunities.currency_id,
        opportunities.amount_conversion,
        opportunities.history_source,
        stage_map.stage_order,
        stage_map.milestone,
        coalesce(stage_map.is_closed, false) as is_closed,
        coalesce(stage_map.is_won, false) as is_won,
        coalesce(stage_map.reached_sql, false) as reached_sql
    from {{ ref('int_opportunity_states') }} as states
    inner join {{ ref('int_opportunities') }} as opportunities
        on opportunities.opportunity_id = states.opportunity_id
    left join {{ ref('stg_vocabulary__stage_map') }} as stage_map
        on stage_map.crm_stage = states.stage
    -- A change logged before the opportunity's creation (reported by the test
    -- assert_audit_changes_not_before_creation) does not make it exist earlier.
    where states.valid_from >= opportunities.created_at
{%- endmacro %}

{#- The interval is the state in force at the end of the day day_expr. -#}
{% macro state_in_force_at_end_of(day_expr, intervals) -%}
    (cast({{ intervals }}.valid_from as date) <= {{ day_expr }}
        and ({{ intervals }}.valid_to is null or {{ day_expr }} < cast({{ intervals }}.valid_to as date)))
{%- endmacro %}

{#-
    The as-of columns of intervals dated by day_column (a relation with the columns of
    opportunity_state_intervals() plus day_column): the amount at the rate valid on that
    day, the close date and its quarter, the forecast category.
-#}
{% macro opportunity_state_columns(dated, day_column) -%}
    select
        typed.{{ day_column }},
        typed.opportunity_id,
        typed.owner_user_id_text as owner_user_id,
        typed.motion,
        typed.stage,
        typed.stage_order,
        typed.milestone,
        typed.stage_entered_at,
        not typed.is_closed as is_open,
        -- In the qualified pipeline: reached SQL (the stage map's rule) and still open.
        -- Won deals reached SQL too, but a closed deal is no longer pipeline.
        typed.reached_sql and not typed.is_closed as is_qualified,
        typed.is_closed,
        typed.is_won,
        typed.created_at,
        typed.qualified_at,
        -- The amount at the rate valid on that day (macros/currency.sql:
        -- weekly_amount_reporting), rounded to cents, so a roll-up is the sum of its rows.
        cast(
            {{ weekly_amount_reporting('typed.amount', 'typed.current_amount', 'typed.current_amount_reporting',
                'typed.amount_conversion', 'typed.reporting_rate', 'typed.currency_id', 'typed.day_rate') }}
            as {{ dbt.type_numeric() }}
        ) as amount_reporting,
        typed.close_date,
        {{ fiscal_quarter_label('typed.close_date') }} as close_fiscal_quarter,
        typed.close_date_set_at,
        typed.commit_stage_text as commit_stage,
        forecast_category_map.forecast_category,
        typed.history_source
    from (
        select
            dated.*,
            {{ dbt.safe_cast('dated.amount_text', dbt.type_numeric()) }} as amount,
            {{ dbt.safe_cast('dated.close_date_text', 'date') }} as close_date,
            -- The rate valid on the day (as the marketing spend is converted on its day).
            currency_rate_periods.rate as day_rate
        from {{ dated }} as dated
        left join {{ ref('int_currency_rate_periods') }} as currency_rate_periods
            on currency_rate_periods.currency_id = dated.currency_id
            and currency_rate_periods.valid_from <= dated.{{ day_column }}
            and (currency_rate_periods.valid_to is null or dated.{{ day_column }} < currency_rate_periods.valid_to)
    ) as typed
    left join {{ ref('stg_vocabulary__forecast_category_map') }} as forecast_category_map
        on forecast_category_map.crm_value = typed.commit_stage_text
{%- endmacro %}

{#-
    int_opportunity_period_end_state's join: the interval of `intervals` in force at the
    end of each day of `period_end_days`, and a closed one only in the longest period
    ending that day in which it closed.
-#}
{% macro state_at_period_ends(intervals, period_end_days) -%}
    select
        {{ period_end_days }}.period_end,
        {{ period_end_days }}.earliest_period_start,
        {{ intervals }}.*
    from {{ intervals }}
    inner join {{ period_end_days }}
        on {{ state_in_force_at_end_of(period_end_days ~ '.period_end', intervals) }}
    where not {{ intervals }}.is_closed
        or cast({{ intervals }}.stage_entered_at as date) >= {{ period_end_days }}.earliest_period_start
{%- endmacro %}
