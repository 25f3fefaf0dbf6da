{#-
    Where the data ends (and, for the calendar, begins): one row, read once from each
    export.  Every "as of" in the warehouse comes from here, never from the clock, so
    a rebuild of the same drops gives the same rows.  The bounds differ on purpose,
    because each bounds different data:

    - as_of_at / as_of_date (the funnel): the latest lead or opportunity version,
      audited change or history state, or MQL event.  Cohort ages, complete periods
      and "never touched" are measured against it.  Calls and meetings are left out:
      a planned meeting may be dated in the future.
    - pipeline_as_of_at / pipeline_as_of_date / last_week_end (the pipeline): the
      latest opportunity version or opportunity change (int_opportunity_changes: the
      tracked fields of existing deals).  Leads and MQL events say nothing about the
      pipeline, so a lead edited after the last opportunity export must not add a week
      to the weekly spine, which ends at last_week_end.
    - calendar_first_date / calendar_last_date (the fiscal calendar's span, before it
      is widened to whole fiscal years): the earliest creation, audited change or spend
      period and the latest version, audited change or spend period, so that every
      date a mart places in a period has its calendar row.
-#}

with

{#- The two record exports with a version time: when they start and end. -#}
{%- for cte, model in [('leads', 'stg_sugarcrm__leads'), ('opportunities', 'stg_sugarcrm__opportunities')] %}
{{ cte }} as (

    select
        min(cast(created_at as date)) as first_created_on,
        max(modified_at) as last_modified_at,
        max(cast(modified_at as date)) as last_modified_on
    from {{ ref(model) }}

),
{% endfor %}

audit as (

    select
        min(cast(changed_at as date)) as first_changed_on,
        max(changed_at) as last_changed_at,
        max(cast(changed_at as date)) as last_changed_on
    from {{ ref('stg_sugarcrm__opportunities_audit') }}

),

history as (

    select max(changed_at) as last_changed_at
    from {{ ref('stg_sugarcrm__opportunity_history') }}

),

opportunity_changes as (

    select max(changed_at) as last_changed_at
    from {{ ref('int_opportunity_changes') }}

),

mql_events as (

    select max(event_at) as last_event_at
    from {{ ref('stg_marketing__mql_events') }}

),

spend as (

    select
        min(period_start_date) as first_period_start,
        max(period_start_date) as last_period_start
    from {{ ref('stg_marketing__marketing_spend') }}

),

-- The latest time of each kind of data, one row per export read (max ignores nulls).
latest as (

    select 'funnel' as bounded, last_modified_at as latest_at from leads
    union all
    select 'funnel', last_modified_at from opportunities
    union all
    select 'funnel', last_changed_at from audit
    union all
    select 'funnel', last_changed_at from history
    union all
    select 'funnel', last_event_at from mql_events
    union all
    select 'pipeline', last_modified_at from opportunities
    union all
    select 'pipeline', last_changed_at from opportunity_changes

),

funnel as (

    select max(latest_at) as as_of_at
    from latest
    where bounded = 'funnel'

),

pipeline as (

    select max(latest_at) as as_of_at
    from latest
    where bounded = 'pipeline'

),

calendar as (

    select
        least(
            leads.first_created_on,
            opportunities.first_created_on,
            audit.first_changed_on,
            spend.first_period_start
        ) as first_date,
        greatest(
            leads.last_modified_on,
            opportunities.last_modified_on,
            audit.last_changed_on,
            spend.last_period_start
        ) as last_date
    from leads
    cross join opportunities
    cross join audit
    cross join spend

)

select
    funnel.as_of_at,
    cast(funnel.as_of_at as date) as as_of_date,
    pipeline.as_of_at as pipeline_as_of_at,
    cast(pipeline.as_of_at as date) as pipeline_as_of_date,
    {{ week_end('cast(pipeline.as_of_at as date)') }} as last_week_end,
    calendar.first_date as calendar_first_date,
    calendar.last_date as calendar_last_date

from funnel
cross join pipeline
cross join calendar
