{#-
    The month and fiscal-quarter ends the pipeline's exact period-end state is taken at
    (int_opportunity_period_end_state, marts.fct_pipeline_period_end): one row per
    period_grain x period_end, from the calendar (int_fiscal_calendar: month_end,
    fiscal_quarter_end; labels as macros/calendar.sql date_periods gives them), up to
    the day of the latest thing the opportunity exports recorded (int_as_of:
    pipeline_as_of_date): a later period end's state is not known yet.  A fiscal
    quarter's last day is also a month's, so that day has a row per grain.
-#}

with

calendar as (

    select * from {{ ref('int_fiscal_calendar') }}

),

as_of as (

    select pipeline_as_of_date from {{ ref('int_as_of') }}

),

period_ends as (

    select distinct
        'month' as period_grain,
        substring(cast(month_start as {{ dbt.type_string() }}), 1, 7) as period_label,
        month_start as period_start,
        month_end as period_end
    from calendar

    union all

    select distinct
        'fiscal_quarter' as period_grain,
        fiscal_quarter as period_label,
        fiscal_quarter_start as period_start,
        fiscal_quarter_end as period_end
    from calendar

)

select
    period_ends.period_grain,
    period_ends.period_label,
    period_ends.period_start,
    period_ends.period_end,
    {{ fiscal_quarter_label('period_ends.period_end') }} as fiscal_quarter
from period_ends
cross join as_of
where period_ends.period_end <= as_of.pipeline_as_of_date
