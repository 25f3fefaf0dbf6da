{#-
    What each closed quarter's actual is made of, deal by deal (docs/marts.md: the
    expected forecast): one row per closed fiscal quarter x deal counted in its
    closed_won at the quarter's last week end, i.e. won with an actual close date in the
    quarter, its won row of the as-of spine still standing then (not reopened since):
    the roll-up's won rule (macros/forecast.sql) at the one week end the backtest's actual is
    taken at.  The owner is the one it closed under, as in the roll-up.  The expected
    forecast learns its win probabilities (is the deal here?) and its new-deal term
    (which deals were not yet in the pipeline?) from it.
-#}

with

won_states as (

    {{ won_spine_rows(['week_end', 'opportunity_id', 'owner_user_id', 'amount_reporting', 'close_fiscal_quarter', 'created_at']) }}

),

closed_quarters as (

    select distinct
        fiscal_quarter,
        quarter_last_week_end
    from {{ ref('int_forecast_quarter_weeks') }}
    where is_quarter_closed

)

select
    closed_quarters.fiscal_quarter,
    closed_quarters.quarter_last_week_end,
    won_states.opportunity_id,
    won_states.owner_user_id,
    won_states.amount_reporting,
    won_states.week_end as won_week_end,
    won_states.created_at

from won_states
inner join closed_quarters
    on closed_quarters.fiscal_quarter = won_states.close_fiscal_quarter
    and {{ won_row_counts_at('closed_quarters.quarter_last_week_end', 'won_states') }}
