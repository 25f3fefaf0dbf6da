{#-
    Reports opportunities whose close date is more than ten years from their
    creation (2999-12-31 is a common CRM placeholder): such a deal would sit in a
    fiscal quarter no forecast looks at.
-#}
{{ config(severity='warn') }}

select opportunity_id, created_at, close_date, source_drop, source_file, source_line
from {{ ref('stg_sugarcrm__opportunities') }}
where close_date > {{ dbt.dateadd('year', 10, 'cast(created_at as date)') }}
   or close_date < {{ dbt.dateadd('year', -10, 'cast(created_at as date)') }}
