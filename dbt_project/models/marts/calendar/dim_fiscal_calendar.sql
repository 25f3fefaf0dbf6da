{#-
    One row per date, from the start of the fiscal year of the earliest date in the
    exports to the end of the fiscal year three years after the latest activity,
    so that open deals' close dates and targets find their quarter.
-#}

with

bounds as (

    select
        least(
            (select min(cast(created_at as date)) from {{ ref('stg_sugarcrm__leads') }}),
            (select min(cast(created_at as date)) from {{ ref('stg_sugarcrm__opportunities') }}),
            (select min(cast(changed_at as date)) from {{ ref('stg_sugarcrm__opportunities_audit') }}),
            (select min(period_start_date) from {{ ref('stg_marketing__marketing_spend') }})
        ) as first_date,
        greatest(
            (select max(cast(modified_at as date)) from {{ ref('stg_sugarcrm__leads') }}),
            (select max(cast(modified_at as date)) from {{ ref('stg_sugarcrm__opportunities') }}),
            (select max(cast(changed_at as date)) from {{ ref('stg_sugarcrm__opportunities_audit') }}),
            (select max(period_start_date) from {{ ref('stg_marketing__marketing_spend') }})
        ) as last_date

),

spine as (

    select cast(unnest(generate_series(
        make_date(cast({{ fiscal_year_start_year('first_date') }} as integer), {{ var('fiscal_year_start_month') }}, 1),
        make_date(cast({{ fiscal_year_start_year('last_date') }} as integer) + 4, {{ var('fiscal_year_start_month') }}, 1) - interval 1 day,
        interval 1 day
    )) as date) as date_day
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
        {{ week_end('date_day') }} as week_end
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
    week_end > fiscal_quarter_end as week_ends_after_quarter
from calendar
