{#-
    The (week end, fiscal quarter) pairs at which a quarter's forecast is reported, from
    the as-of spine's first week end to its last (int_as_of.last_week_end):

    - quarter_relation 'current': every week end of the quarter's weeks (week 1 ends on
      the first week end on or after the quarter start; the last ends on or after the
      quarter end), so the week end of a week straddling two quarters is 'current' for
      both (the last week of one, week 1 of the next).
    - quarter_relation 'next': the quarter after the one the week end date is in, at
      every week end before that quarter's week 1.  Its week_of_quarter counts on back
      from week 1: 0 is the week before week 1, -1 the one before that; so the pair is
      unique per quarter and a filter on week_of_quarter >= 1 keeps only current rows.

    A week end is never 'current' and 'next' for the same quarter (its week holds no day
    of the next quarter), so (as_of_week_end, fiscal_quarter) stays the key and
    quarter_relation follows from it.  A quarter is closed once the spine reaches its
    last week end.
-#}

with

calendar as (

    select
        date_day,
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

current_quarter_weeks as (

    select
        fiscal_quarter,
        week_end as as_of_week_end,
        'current' as quarter_relation,
        min(week_of_quarter) as week_of_quarter
    from calendar
    group by fiscal_quarter, week_end

),

quarters as (

    select
        fiscal_quarter,
        min(fiscal_quarter_start) as fiscal_quarter_start,
        min(fiscal_quarter_end) as fiscal_quarter_end,
        max(week_end) as quarter_last_week_end
    from calendar
    group by fiscal_quarter

),

-- The quarter after the one each week end's own date falls in.
next_quarter_weeks as (

    select
        next_quarter.fiscal_quarter,
        week_end_day.date_day as as_of_week_end,
        'next' as quarter_relation,
        cast({{ dbt.datediff(week_end('next_quarter.fiscal_quarter_start'), 'week_end_day.date_day', 'day') }} / 7 as integer) + 1
            as week_of_quarter
    from calendar as week_end_day
    inner join quarters as next_quarter
        on next_quarter.fiscal_quarter_start = cast({{ dbt.dateadd('day', 1, 'week_end_day.fiscal_quarter_end') }} as date)
    where week_end_day.date_day = week_end_day.week_end

),

quarter_weeks as (

    select * from current_quarter_weeks
    union all
    select * from next_quarter_weeks

)

select
    quarter_weeks.fiscal_quarter,
    quarters.fiscal_quarter_start,
    quarters.fiscal_quarter_end,
    quarter_weeks.as_of_week_end,
    quarter_weeks.quarter_relation,
    quarter_weeks.week_of_quarter,
    quarters.quarter_last_week_end,
    quarter_weeks.as_of_week_end = quarters.quarter_last_week_end as is_last_week_of_quarter,
    quarters.quarter_last_week_end <= spine_bounds.last_week_end as is_quarter_closed

from quarter_weeks
inner join quarters
    on quarters.fiscal_quarter = quarter_weeks.fiscal_quarter
cross join spine_bounds
where quarter_weeks.as_of_week_end between spine_bounds.first_week_end and spine_bounds.last_week_end
