{#-
    When the pipeline data ends: the latest thing the opportunity exports recorded (an
    opportunity version or an audited change).  The weekly spine ends at its week end
    and "complete" periods are measured against it, never against the clock, so a
    rebuild of the same drops gives the same rows.
-#}

with

latest as (

    select max(modified_at) as latest_at from {{ ref('stg_sugarcrm__opportunities') }}
    union all
    select max(changed_at) from {{ ref('int_opportunity_changes') }}

)

select
    max(latest_at) as as_of_at,
    cast(max(latest_at) as date) as as_of_date,
    {{ week_end('cast(max(latest_at) as date)') }} as last_week_end
from latest
