{#-
    Reports opportunities whose amount is negative.  A credit note or a typo in the
    CRM; either way it lowers pipeline and bookings, so RevOps should look.
-#}
{{ config(severity='warn') }}

select opportunity_id, amount, currency_id, source_drop, source_file, source_line
from {{ ref('stg_sugarcrm__opportunities') }}
where amount < 0
