{#-
    Campaign touches of the funnel, one row per touch: int_campaign_touches_sequenced,
    where the rules live.  No personal data: a lead appears by its id only.
    Incremental like it (macros/entry_incremental.sql): a weekly run copies the touches
    of the entries int_funnel_entry_builds lists.
-#}
{{ entry_incremental_config() }}

with

touches as (

    select * from {{ ref('int_campaign_touches_sequenced') }}
    where {{ only_recomputed_entries('entry_id') }}

)

select
    touch_id,
    entry_id,
    lead_id,
    opportunity_id,
    campaign_id,
    campaign_name,
    channel,
    touched_at,
    touch_source,
    touch_type,
    entered_at,
    is_counted,
    touch_seq,
    counted_touches,
    is_first_touch,
    is_last_touch_before_mql,
    linear_weight
from touches
