{#-
    Under every attribution model every funnel entry is credited exactly once: its
    credits (to campaigns, or to no campaign) add up to exactly 1 (they are decimals),
    each is in (0, 1], and no entry is missing.  Returns the entries and models that
    break it.
-#}
{#- An asset check of int_campaign_credits_allocated in Dagster (the test reads the funnel entries too). -#}
{{ config(meta={'dagster': {'ref': {'name': 'int_campaign_credits_allocated'}}}) }}

with

entries as (

    select entry_id from {{ ref('int_funnel_milestones') }}

),

credits as (

    select * from {{ ref('int_campaign_credits_allocated') }}

),

models as (

    select distinct attribution_model from credits

),

per_entry as (

    select
        attribution_model,
        entry_id,
        sum(credit) as total_credit,
        min(credit) as smallest_credit,
        max(credit) as largest_credit
    from credits
    group by attribution_model, entry_id

)

select
    models.attribution_model,
    entries.entry_id,
    per_entry.total_credit,
    per_entry.smallest_credit,
    per_entry.largest_credit
from entries
cross join models
left join per_entry
    on per_entry.entry_id = entries.entry_id
    and per_entry.attribution_model = models.attribution_model
where per_entry.entry_id is null
    or per_entry.total_credit <> 1
    or per_entry.smallest_credit <= 0
    or per_entry.largest_credit > 1
