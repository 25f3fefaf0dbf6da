{#-
    The leads whose own funnel milestones (int_lead_milestones: MQL time, re-MQLs, first
    touch) a raw load since the last complete build (macros/incremental.sql) can change.
    int_lead_milestones replaces exactly these; int_changed_funnel_entries starts from them.
    It reads raw, not staging: a deleted record has no row in staging, yet its rows
    downstream must go.  What a load can reach:
    - a lead with a version loaded since (edited, converted, deleted);
    - the lead of an MQL event loaded since (the event's lead is part of its key);
    - every lead that is or was the parent of a call or meeting with a version loaded
      since: a call moved to another lead changes the first touch of both.  A parent of
      another type (an account, a deal) names no lead and drops out in the last step;
    - every lead, when a full snapshot of one of these kinds was loaded since (it can
      remove any record).
    On the first build (no complete build yet) that is every lead.
-#}

with

{#- The lead each version names (a lead's own id; an MQL event's lead, part of its key), and
    the activities logged against a lead: their record id and parent. #}
{%- for kind, table, columns in [
    ('lead', 'leads', [('lead_id', 'id')]),
    ('mql_event', 'mql_events', [('lead_id', 'lead_id')]),
    ('calls', 'calls', [('record_id', 'id'), ('parent_id', 'parent_id')]),
    ('meetings', 'meetings', [('record_id', 'id'), ('parent_id', 'parent_id')]),
] %}
{{ kind }}_versions as (

    {{ raw_versions(table, columns) }}

),
{% endfor %}
loaded_since as (

    select {{ loaded_since_last_build() }} as loaded_after

),

snapshot_loaded as (

    select count(*) > 0 as any_snapshot
    from (
        select is_snapshot, loaded_at from lead_versions
        union all
        select is_snapshot, loaded_at from mql_event_versions
        union all
        select is_snapshot, loaded_at from calls_versions
        union all
        select is_snapshot, loaded_at from meetings_versions
    ) as versions
    where is_snapshot and loaded_at > (select loaded_after from loaded_since)

),

touched as (

    select lead_id
    from lead_versions
    where loaded_at > (select loaded_after from loaded_since)
    union
    select lead_id
    from mql_event_versions
    where loaded_at > (select loaded_after from loaded_since)
    {%- for activity in ['calls', 'meetings'] %}
    union
    select versions.parent_id as lead_id
    from {{ activity }}_versions as versions
    where versions.record_id in (
        select record_id from {{ activity }}_versions
        where loaded_at > (select loaded_after from loaded_since)
    )
    {%- endfor %}

)

-- Only ids of leads (an activity's parent may be an account or a deal), and no null: the
-- models test `lead_id in` this list, and `not in` a list holding a null is never true.
select distinct lead_versions.lead_id
from lead_versions
where lead_versions.lead_id is not null
    and (
        lead_versions.lead_id in (select lead_id from touched)
        or (select any_snapshot from snapshot_loaded)
    )
