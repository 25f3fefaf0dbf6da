{#-
    One row per date, from the start of the fiscal year of the earliest date in the
    exports to the end of the fiscal year three years after the latest activity
    (int_as_of: calendar_first_date, calendar_last_date), so that open deals' close
    dates and targets find their quarter.  Its week, month and fiscal-quarter starts
    and ends are the macros of macros/calendar.sql.  It is intermediate so that the
    intermediate models that need the calendar (int_forecast_quarter_weeks) read no
    mart; marts.dim_fiscal_calendar shows it.
-#}

with

bounds as (

    select
        calendar_first_date as first_date,
        calendar_last_date as last_date
    from {{ ref('int_as_of') }}

),

spine as (

    select {{ day_series(
        'make_date(cast(' ~ fiscal_year_start_year('first_date') ~ ' as integer), ' ~ var('fiscal_year_start_month') ~ ', 1)',
        dbt.dateadd('day', -1, 'make_date(cast(' ~ fiscal_year_start_year('last_date') ~ ' as integer) + 4, '
            ~ var('fiscal_year_start_month') ~ ', 1)')
    ) }} as date_day
    from bounds
    where first_date is not null

),

calendar as (

    select
        date_day,
        {{ fiscal_year('date_day') }} as fiscal_year,
        {{ fiscal_quarter_number('date_day') }} as fiscal_quarter_number,
        {{ fiscal_quarter_label('date_day') }} as fiscal_quarter,
        {{ fiscal_quarter_start('date_day') }} as fiscal_quarter_start,
        {{ fiscal_quarter_end('date_day') }} as fiscal_quarter_end,
        {{ week_start('date_day') }} as week_start,
        {{ week_end('date_day') }} as week_end,
        {{ month_start('date_day') }} as month_start,
        {{ month_end('date_day') }} as month_end
    from spine

)

select
    date_day,
    fiscal_year,
    fiscal_quarter_number,
    fiscal_quarter,
    fiscal_quarter_start,
    fiscal_quarter_end,
    week_end,
    -- Week 1 is the week whose week end is the first on or after the quarter start.
    cast({{ dbt.datediff(week_end('fiscal_quarter_start'), 'week_end', 'day') }} / 7 as integer) + 1 as week_of_quarter,
    week_end > fiscal_quarter_end as week_ends_after_quarter,
    week_start,
    month_start,
    month_end
from calendar
