{#-
    The month and fiscal-quarter ends the pipeline's exact period-end state is taken at
    (int_opportunity_period_end_state, marts.fct_pipeline_period_end): one row per
    period_grain x period_end, from the calendar's days (int_fiscal_calendar) and the
    periods, starts, ends and labels of macro date_periods (macros/calendar.sql), up to
    the day of the latest thing the opportunity exports recorded (int_as_of:
    pipeline_as_of_date): a later period end's state is not known yet.  A fiscal
    quarter's last day is also a month's, so that day has a row per grain.
-#}

with

calendar_days as (

    select date_day from {{ ref('int_fiscal_calendar') }}

),

as_of as (

    select pipeline_as_of_date from {{ ref('int_as_of') }}

),

date_periods as (

    {{ date_periods('calendar_days') }}

)

select distinct
    date_periods.period_grain,
    date_periods.period_label,
    date_periods.period_start,
    date_periods.period_end,
    {{ fiscal_quarter_label('date_periods.period_end') }} as fiscal_quarter
from date_periods
cross join as_of
where date_periods.period_grain in ('month', 'fiscal_quarter')
    and date_periods.period_end <= as_of.pipeline_as_of_date
