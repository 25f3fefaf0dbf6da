{#-
    The week ends at which each fiscal quarter's forecast is reported: every week end
    of the quarter's weeks (week 1 ends on the first week end on or after the quarter
    start; the last ends on or after the quarter end), from the as-of spine's first
    week end to its last (int_as_of.last_week_end).  A quarter is closed once the
    spine reaches its last week end.
-#}

with

calendar as (

    select
        fiscal_quarter,
        fiscal_quarter_start,
        fiscal_quarter_end,
        week_end,
        week_of_quarter
    from {{ ref('int_fiscal_calendar') }}

),

spine_bounds as (

    select
        (select min(week_end) from {{ ref('int_opportunity_weekly_state') }}) as first_week_end,
        (select last_week_end from {{ ref('int_as_of') }}) as last_week_end

),

quarter_weeks as (

    select
        fiscal_quarter,
        min(fiscal_quarter_start) as fiscal_quarter_start,
        min(fiscal_quarter_end) as fiscal_quarter_end,
        week_end as as_of_week_end,
        min(week_of_quarter) as week_of_quarter
    from calendar
    group by fiscal_quarter, week_end

),

quarters as (

    select
        fiscal_quarter,
        max(as_of_week_end) as quarter_last_week_end
    from quarter_weeks
    group by fiscal_quarter

)

select
    quarter_weeks.fiscal_quarter,
    quarter_weeks.fiscal_quarter_start,
    quarter_weeks.fiscal_quarter_end,
    quarter_weeks.as_of_week_end,
    quarter_weeks.week_of_quarter,
    quarters.quarter_last_week_end,
    quarter_weeks.as_of_week_end = quarters.quarter_last_week_end as is_last_week_of_quarter,
    quarters.quarter_last_week_end <= spine_bounds.last_week_end as is_quarter_closed

from quarter_weeks
inner join quarters
    on quarters.fiscal_quarter = quarter_weeks.fiscal_quarter
cross join spine_bounds
where quarter_weeks.as_of_week_end between spine_bounds.first_week_end and spine_bounds.last_week_end
