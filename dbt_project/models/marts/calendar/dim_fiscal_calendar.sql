{#-
    The fiscal calendar, one row per date, as int_fiscal_calendar builds it (in
    intermediate, so that intermediate models read the calendar without reading a
    mart).
-#}

select * from {{ ref('int_fiscal_calendar') }}
