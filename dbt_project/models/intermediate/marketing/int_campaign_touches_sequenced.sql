{#-
    Every campaign touch of a funnel entry (docs/domain.md: marketing), in order, with the
    flags the attribution models read.  Three sources:

    * the campaign log: a campaign's activity on a lead that the lead responded to;
    * the marketing tool's `mql` events that name a campaign, unless the campaign log
      already has a touch of that campaign on that lead at that very time (the same
      response, exported by both tools, is one touch);
    * the entry's sourcing campaign (the lead's campaign_id, else the opportunity's),
      at the time the entry came into the funnel, when that campaign has no counted
      touch of its own: the CRM says it sourced the entry, so it is never left out.

    A touch is counted (is_counted) when it happened at or before the entry came into
    the funnel: a lead's first MQL, or an opportunity's creation for an entry with no
    lead.  Later touches (nurture after the MQL, a recycled lead's way back) stay here
    for analysis and get no credit, so that the first touch, the last touch before the
    MQL and the even split all share the same touches.

    Vocabularies of the export contract (ingest/contract.py): the campaign log's target
    type for a lead, the activity types that mean the lead responded (`targeted` is
    only a send; removed, blocked, send_error, invalid_email never reached anyone), and
    the marketing tool's event type for an MQL.

    Incremental (macros/entry_incremental.sql): a weekly run recomputes the entries
    int_funnel_entry_builds lists and replaces their touches.
-#}
{{ entry_incremental_config() }}
{%- set lead_target_type = 'Leads' -%}
{%- set response_activity_types = ['viewed', 'link', 'lead', 'contact'] -%}
{%- set mql_event_type = 'mql' -%}

{#- inline_cte (macros/staging.sql): these CTEs are read several times; copying them into
    materialised CTEs first cost 8 s instead of 5 s on 2.9 million touches. -#}
with

entries as {{ inline_cte() }} (

    select * from ({{ attributed_entries() }}) as entries
    where {{ only_recomputed_entries('entry_id') }}

),

campaign_log as {{ inline_cte() }} (

    select * from {{ ref('stg_marketing__campaign_log') }}

),

mql_events as {{ inline_cte() }} (

    select * from {{ ref('stg_marketing__mql_events') }}

),

campaigns as {{ inline_cte() }} (

    select * from {{ ref('stg_marketing__campaigns') }}

),

log_touches as (

    select
        campaign_log.campaign_log_id as touch_id,
        entries.entry_id,
        campaign_log.campaign_id,
        campaign_log.activity_at as touched_at,
        'campaign_log' as touch_source,
        campaign_log.activity_type as touch_type,
        1 as source_order
    from campaign_log
    inner join entries
        on entries.lead_id = campaign_log.target_id
    where campaign_log.target_type = '{{ lead_target_type }}'
        and campaign_log.activity_type in (
            {%- for activity_type in response_activity_types %}'{{ activity_type }}'{{ ', ' if not loop.last }}{% endfor -%}
        )
        and campaign_log.campaign_id is not null
        and campaign_log.activity_at is not null

),

mql_event_touches as (

    select
        {{ dbt.concat(["'mql_event:'", 'mql_events.lead_id', "':'", 'cast(mql_events.event_at as ' ~ dbt.type_string() ~ ')']) }}
            as touch_id,
        entries.entry_id,
        mql_events.campaign_id,
        mql_events.event_at as touched_at,
        'mql_event' as touch_source,
        mql_events.event_type as touch_type,
        2 as source_order
    from mql_events
    inner join entries
        on entries.lead_id = mql_events.lead_id
    where mql_events.event_type = '{{ mql_event_type }}'
        and mql_events.campaign_id is not null
        and not exists (
            select 1
            from log_touches
            where log_touches.entry_id = entries.entry_id
                and log_touches.campaign_id = mql_events.campaign_id
                and log_touches.touched_at = mql_events.event_at
        )

),

recorded_touches as {{ inline_cte() }} (

    select * from log_touches
    union all
    select * from mql_event_touches

),

sourcing_touches as (

    select
        {{ dbt.concat(["'sourcing:'", 'entries.entry_id']) }} as touch_id,
        entries.entry_id,
        entries.campaign_id,
        entries.entered_at as touched_at,
        'sourcing_campaign' as touch_source,
        'sourced' as touch_type,
        3 as source_order
    from entries
    where entries.campaign_id is not null
        and not exists (
            select 1
            from recorded_touches
            where recorded_touches.entry_id = entries.entry_id
                and recorded_touches.campaign_id = entries.campaign_id
                and recorded_touches.touched_at <= entries.entered_at
        )

),

touches as (

    select * from recorded_touches
    union all
    select * from sourcing_touches

),

counted as (

    select
        touches.touch_id,
        touches.entry_id,
        entries.lead_id,
        entries.opportunity_id,
        entries.entered_at,
        touches.campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type as channel,
        touches.touched_at,
        touches.touch_source,
        touches.touch_type,
        touches.source_order,
        touches.touched_at <= entries.entered_at as is_counted
    from touches
    inner join entries
        on entries.entry_id = touches.entry_id
    left join campaigns
        on campaigns.campaign_id = touches.campaign_id

),

-- Touches at the same instant are ordered by source (campaign log, MQL event, sourcing
-- campaign), then by id, so that first and last are always one touch each.
sequenced as (

    select
        counted.*,
        case
            when is_counted then row_number() over (
                partition by entry_id, is_counted
                order by touched_at, source_order, touch_id
            )
        end as touch_seq,
        sum(case when is_counted then 1 else 0 end) over (partition by entry_id) as counted_touches
    from counted

)

select
    touch_id,
    entry_id,
    lead_id,
    opportunity_id,
    entered_at,
    campaign_id,
    campaign_name,
    channel,
    touched_at,
    touch_source,
    touch_type,
    is_counted,
    touch_seq,
    counted_touches,
    coalesce(touch_seq = 1, false) as is_first_touch,
    coalesce(touch_seq = counted_touches, false) as is_last_touch_before_mql,
    case when is_counted then cast(1 as double) / counted_touches else cast(0 as double) end as linear_weight
from sequenced
