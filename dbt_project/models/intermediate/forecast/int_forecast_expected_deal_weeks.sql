{#-
    The deals the expected forecast weighs (docs/marts.md: the expected forecast): one row
    per open deal per reported week end x fiscal quarter it closes in, exactly the deals
    of the roll-up's pipeline (int_forecast_quarter_weeks' pairs; the as-of spine
    int_opportunity_weekly_state), with the "cell" that says which deals are like it:

    - stage and motion as of the week end;
    - age_in_stage_bucket: days since it entered that stage, 0-13, 14-41, 42-89, 90+;
    - has_slipped: its close date at the week end is later than the earliest close
      date it had at any week end before (pushed at least once; weekly granularity);
    - days_left_bucket: days from the week end to the quarter end, 0-13, 14-41, 42+,
      or 'before_quarter' when the quarter has not started yet (next-quarter rows).

    And, once the quarter has closed, its outcome: is_won_in_quarter = it counts in the
    quarter's actual (int_forecast_expected_quarter_wins).  Null while the quarter is
    open, so that no forecast can learn from an outcome not yet known.

    Incremental like the as-of spine it reads (macros/incremental.sql:
    as_of_incremental_config): every week end of the opportunities int_changed_opportunities
    lists, every opportunity's week ends from as_of_recompute_from() on, and every week end
    of a quarter whose last week end is on or after it (the quarter may have closed since:
    its rows' outcome is known now).  A row reads only its deal's spine rows up to its week
    end and its quarter's outcome for that deal, so no other row can change.
-#}

{{ as_of_incremental_config('as_of_week_end') }}

with

weekly_state as (

    select
        week_end,
        opportunity_id,
        owner_user_id,
        motion,
        stage,
        stage_entered_at,
        is_open,
        amount_reporting,
        close_date,
        close_fiscal_quarter,
        -- The earliest close date of the week ends before this one (has it been pushed?).
        min(close_date) over (
            partition by opportunity_id order by week_end
            rows between unbounded preceding and 1 preceding
        ) as earliest_earlier_close_date
    from {{ ref('int_opportunity_weekly_state') }}

),

quarter_weeks as (

    select
        fiscal_quarter,
        fiscal_quarter_start,
        fiscal_quarter_end,
        as_of_week_end,
        quarter_last_week_end,
        is_quarter_closed
    from {{ ref('int_forecast_quarter_weeks') }}

),

recompute as (

    select {{ as_of_recompute_from('as_of_week_end', week_end) }} as from_week_end

),

-- The week ends whose rows are recomputed for every deal (every week end on a full build).
recomputed_week_ends as (

    select distinct quarter_weeks.as_of_week_end
    from quarter_weeks
    cross join recompute
    where quarter_weeks.as_of_week_end >= recompute.from_week_end
        or quarter_weeks.quarter_last_week_end >= recompute.from_week_end

),

won_at_quarter_end as (

    select fiscal_quarter, opportunity_id
    from {{ ref('int_forecast_expected_quarter_wins') }}

),

open_deals as (

    select
        quarter_weeks.as_of_week_end,
        quarter_weeks.fiscal_quarter,
        quarter_weeks.quarter_last_week_end,
        quarter_weeks.is_quarter_closed,
        weekly_state.opportunity_id,
        weekly_state.owner_user_id,
        coalesce(weekly_state.motion, 'unknown') as motion,
        coalesce(weekly_state.stage, 'unknown') as stage,
        {{ dbt.datediff('cast(weekly_state.stage_entered_at as date)', 'quarter_weeks.as_of_week_end', 'day') }} as days_in_stage,
        coalesce(weekly_state.close_date > weekly_state.earliest_earlier_close_date, false) as has_slipped,
        case
            when quarter_weeks.as_of_week_end < quarter_weeks.fiscal_quarter_start then null
            else {{ dbt.datediff('quarter_weeks.as_of_week_end', 'quarter_weeks.fiscal_quarter_end', 'day') }}
        end as days_left_in_quarter,
        weekly_state.amount_reporting
    from weekly_state
    inner join quarter_weeks
        on quarter_weeks.as_of_week_end = weekly_state.week_end
        and quarter_weeks.fiscal_quarter = weekly_state.close_fiscal_quarter
    where weekly_state.is_open
        and (
            quarter_weeks.as_of_week_end in (select as_of_week_end from recomputed_week_ends)
            or {{ only_changed_opportunities('weekly_state.opportunity_id') }}
        )

)

select
    open_deals.as_of_week_end,
    open_deals.fiscal_quarter,
    open_deals.quarter_last_week_end,
    open_deals.opportunity_id,
    open_deals.owner_user_id,
    open_deals.amount_reporting,
    open_deals.stage,
    open_deals.motion,
    case
        when open_deals.days_in_stage is null then 'unknown'
        when open_deals.days_in_stage < 14 then '0-13'
        when open_deals.days_in_stage < 42 then '14-41'
        when open_deals.days_in_stage < 90 then '42-89'
        else '90+'
    end as age_in_stage_bucket,
    open_deals.has_slipped,
    case
        when open_deals.days_left_in_quarter is null then 'before_quarter'
        when open_deals.days_left_in_quarter < 14 then '0-13'
        when open_deals.days_left_in_quarter < 42 then '14-41'
        else '42+'
    end as days_left_bucket,
    case
        when open_deals.is_quarter_closed then won_at_quarter_end.opportunity_id is not null
    end as is_won_in_quarter

from open_deals
left join won_at_quarter_end
    on won_at_quarter_end.fiscal_quarter = open_deals.fiscal_quarter
    and won_at_quarter_end.opportunity_id = open_deals.opportunity_id
