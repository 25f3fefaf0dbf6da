{#-
    Each owner's forecast figures per fiscal quarter as of each week end, from the
    as-of spine (int_opportunity_weekly_state), so that the stage, amount, close date,
    forecast category and owner are the ones in force at that week end, not today's.

    A quarter is reported at every week end of its weeks and, as the next quarter, at
    every week end of the quarter before (int_forecast_quarter_weeks; the pair
    as_of_week_end x fiscal_quarter says which, so nothing here depends on the relation).

    - Open deals: the spine's row at that week end, counted in the quarter of its close
      date as of then.
    - Won deals: the spine's closing row (won), counted from its week end until the
      opportunity's next row (a reopened deal stops counting), in the quarter of its
      actual close date, credited to its owner when it closed.
-#}

with

weekly_state as (

    select
        week_end,
        opportunity_id,
        owner_user_id,
        is_open,
        is_won_this_week,
        amount_reporting,
        close_fiscal_quarter,
        forecast_category,
        history_source
    from {{ ref('int_opportunity_weekly_state') }}

),

won_states as (

    {{ won_spine_rows(['week_end', 'opportunity_id', 'owner_user_id', 'amount_reporting', 'close_fiscal_quarter', 'history_source']) }}

),

quarter_weeks as (

    select
        fiscal_quarter,
        as_of_week_end
    from {{ ref('int_forecast_quarter_weeks') }}

),

open_deals as (

    select
        quarter_weeks.as_of_week_end,
        quarter_weeks.fiscal_quarter,
        weekly_state.owner_user_id,
        0 as closed_won,
        case when weekly_state.forecast_category = 'commit' then weekly_state.amount_reporting else 0 end as open_commit,
        case when weekly_state.forecast_category = 'best_case' then weekly_state.amount_reporting else 0 end as open_best_case,
        weekly_state.amount_reporting as pipeline,
        case when weekly_state.forecast_category = 'omitted' then weekly_state.amount_reporting else 0 end as omitted,
        1 as open_deals,
        0 as won_deals,
        weekly_state.history_source
    from weekly_state
    inner join quarter_weeks
        on quarter_weeks.as_of_week_end = weekly_state.week_end
        and quarter_weeks.fiscal_quarter = weekly_state.close_fiscal_quarter
    where weekly_state.is_open

),

won_deals as (

    select
        quarter_weeks.as_of_week_end,
        quarter_weeks.fiscal_quarter,
        won_states.owner_user_id,
        won_states.amount_reporting as closed_won,
        0 as open_commit,
        0 as open_best_case,
        0 as pipeline,
        0 as omitted,
        0 as open_deals,
        1 as won_deals,
        won_states.history_source
    from won_states
    inner join quarter_weeks
        on quarter_weeks.fiscal_quarter = won_states.close_fiscal_quarter
        and {{ won_row_counts_at('quarter_weeks.as_of_week_end', 'won_states') }}

),

deals as (

    select * from open_deals
    union all
    select * from won_deals

)

select
    as_of_week_end,
    fiscal_quarter,
    owner_user_id,
    cast(sum(coalesce(closed_won, 0)) as {{ dbt.type_numeric() }}) as closed_won,
    cast(sum(coalesce(open_commit, 0)) as {{ dbt.type_numeric() }}) as open_commit,
    cast(sum(coalesce(open_best_case, 0)) as {{ dbt.type_numeric() }}) as open_best_case,
    cast(sum(coalesce(pipeline, 0)) as {{ dbt.type_numeric() }}) as pipeline,
    cast(sum(coalesce(omitted, 0)) as {{ dbt.type_numeric() }}) as omitted,
    sum(open_deals) as open_deals,
    sum(won_deals) as won_deals,
    sum(case when history_source = 'derived' then 1 else 0 end) as derived_history_deals
from deals
group by as_of_week_end, fiscal_quarter, owner_user_id
