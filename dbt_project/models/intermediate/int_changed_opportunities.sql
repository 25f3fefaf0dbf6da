{#-
    The opportunities whose history a weekly refresh must recompute: those a raw load
    since the last complete build touched (macros/incremental.sql), and those whose
    derived facts such a load can change.  The incremental models keyed by
    opportunity (int_opportunity_changes, int_opportunity_stage_visits,
    int_opportunity_states, int_opportunities, int_opportunity_weekly_state) replace
    exactly these.

    It reads raw, not staging: a deleted record has no row in staging, yet its rows
    downstream must go.  What a load can reach:
    - the opportunity of every version of a record loaded since (an opportunity, an
      audit row, a state row), including earlier versions of that record, which may
      have belonged to another opportunity or account;
    - every opportunity of the accounts where one of those opportunities is won in one
      of its versions: the motion of a deal depends on its account's first win
      (int_opportunities), which moves only when a deal that is or was won there changes
      (won, no longer won, another close date, another account, deleted).  Listing
      every account-mate instead made a weekly drop of `large` recompute 39 k deals
      rather than 16 k (docs/performance.md);
    - every opportunity created on or after the earliest currency rate loaded since:
      its amount at creation may stand at that rate;
    - every opportunity, when a full snapshot was loaded since (it can remove any record).
    On the first build (no complete build yet) that is every opportunity.
-#}

with

opportunity_versions as (

    select
        {{ clean_text('id') }} as record_id,
        {{ clean_text('id') }} as opportunity_id,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('sales_stage') }} as sales_stage,
        cast(date_entered as date) as created_on,
        _loaded_at as loaded_at,
        _snapshot as is_snapshot
    from {{ source('raw', 'opportunities') }}

),

{#- The two histories of an opportunity: which raw table, and its column naming the opportunity. #}
{%- for kind, table, opportunity_column in [('audit', 'opportunities_audit', 'parent_id'),
                                            ('history', 'opportunity_history', 'opportunity_id')] %}
{{ kind }}_versions as (

    {{ raw_versions(table, [('record_id', 'id'), ('opportunity_id', opportunity_column)]) }}

),

{% endfor -%}
currency_rates as (

    select * from {{ ref('stg_reference__currency_rates') }}

),

won_stages as (

    select crm_stage from {{ ref('stg_vocabulary__stage_map') }} where is_won

),

loaded_since as (

    select {{ loaded_since_last_build() }} as loaded_after

),

-- The records (of each kind) a load since the last complete build brought a version of.
records_loaded as (

    select 'opportunity' as kind, record_id, is_snapshot
    from opportunity_versions
    where loaded_at > (select loaded_after from loaded_since)
    union all
    select 'audit' as kind, record_id, is_snapshot
    from audit_versions
    where loaded_at > (select loaded_after from loaded_since)
    union all
    select 'history' as kind, record_id, is_snapshot
    from history_versions
    where loaded_at > (select loaded_after from loaded_since)

),

snapshot_loaded as (

    select count(*) > 0 as any_snapshot from records_loaded where is_snapshot

),

-- The opportunity of every version of those records.
touched as (

    select versions.opportunity_id
    from opportunity_versions as versions
    where versions.record_id in (select record_id from records_loaded where kind = 'opportunity')
    union
    select versions.opportunity_id
    from audit_versions as versions
    where versions.record_id in (select record_id from records_loaded where kind = 'audit')
    union
    select versions.opportunity_id
    from history_versions as versions
    where versions.record_id in (select record_id from records_loaded where kind = 'history')

),

-- The accounts whose first win a touched deal can move: where it is, or was, won.
first_win_accounts as (

    select distinct account_id
    from opportunity_versions
    where opportunity_id in (select opportunity_id from touched)
        and sales_stage in (select crm_stage from won_stages)
        and account_id is not null

),

earliest_rate_loaded as (

    select min(valid_from) as valid_from
    from currency_rates
    where source_loaded_at > (select loaded_after from loaded_since)

)

-- No null: the models test `opportunity_id in` this list, and `not in` a list holding a
-- null is never true.
select opportunity_id from (
    select opportunity_id from touched
    union
    select opportunity_id
    from opportunity_versions
    where account_id in (select account_id from first_win_accounts)
        or created_on >= (select valid_from from earliest_rate_loaded)
        or (select any_snapshot from snapshot_loaded)
) as changed
where opportunity_id is not null
