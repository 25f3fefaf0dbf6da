{#-
    When the funnel data ends: the latest thing the exports recorded (a lead or
    opportunity version, an audited change or history state, an MQL event).  Cohort ages, complete
    periods and "never touched" are measured against it, never against the clock, so
    a rebuild of the same drops gives the same rows.  Calls and meetings are left out:
    a planned meeting may be dated in the future.
-#}

with

latest as (

    select max(modified_at) as latest_at from {{ ref('stg_sugarcrm__leads') }}
    union all
    select max(modified_at) from {{ ref('stg_sugarcrm__opportunities') }}
    union all
    select max(changed_at) from {{ ref('stg_sugarcrm__opportunities_audit') }}
    union all
    select max(changed_at) from {{ ref('stg_sugarcrm__opportunity_history') }}
    union all
    select max(event_at) from {{ ref('stg_marketing__mql_events') }}

)

select
    max(latest_at) as as_of_at,
    cast(max(latest_at) as date) as as_of_date
from latest
