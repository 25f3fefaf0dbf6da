{#-
    Who gets the credit for each funnel entry, under each attribution model (docs/domain.md
    section 6): one row per entry per model per campaign credited, the entry's counts
    and amounts multiplied by the campaign's share.  Only counted touches (at or before
    the entry came into the funnel, int_campaign_touches_sequenced) are credited:

    * first_touch: the whole entry to the campaign of its first counted touch;
    * last_touch: the whole entry to the campaign of its last counted touch (the last
      touch before the MQL);
    * linear: an even split over the counted touches, so a campaign's share is its
      touches / all the entry's counted touches.

    An entry with no counted touch is credited, whole, to no campaign (campaign_id
    null) in every model.  So under every model each entry's shares add up to 1 and
    every MQL, deal and amount is credited exactly once.

    The entry's quarter is the fiscal quarter it came into the funnel (its first MQL,
    else its opportunity's creation): the cohort a campaign's spend of that quarter is
    compared with.

    Incremental (macros/entry_incremental.sql): a weekly run recomputes the entries
    int_funnel_entry_builds lists and replaces their credits.
-#}
{{ entry_incremental_config() }}
{%- set attribution_models = ['first_touch', 'last_touch', 'linear'] -%}
{#- Exact decimals, not floating point: sums over entries are then the same whatever
    order the rows come in (a rebuild gives identical rows) and shares add up exactly. -#}
{%- set credit_type = 'decimal(38, 12)' -%}
{#- A share (at most 1) at the credit's scale, and a reporting amount (whole cents),
    narrow enough that their sums and products keep every decimal: Spark rounds a
    decimal(38, 12) sum minus a decimal(38, 12) to 11 places, and a product of two to 6. -#}
{%- set share_type = 'decimal(14, 12)' -%}
{%- set cents_type = 'decimal(20, 2)' -%}

with

entries as (

    select * from ({{ attributed_entries() }}) as entries
    where {{ only_recomputed_entries('entry_id') }}

),

touches as (

    select * from {{ ref('int_campaign_touches_sequenced') }}
    where is_counted
        and {{ only_recomputed_entries('entry_id') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

attribution_models as (

    {% for model in attribution_models %}
    select '{{ model }}' as attribution_model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- The linear share of each campaign, rounded to the credit's scale; the entry's last
-- campaign (by id) takes 1 minus the others, so that the shares add up to exactly 1.
linear_shares as (

    select
        entry_id,
        campaign_id,
        cast(cast(count(*) as double) / max(counted_touches) as {{ share_type }}) as rounded_share
    from touches
    group by entry_id, campaign_id

),

shares as (

    select 'first_touch' as attribution_model, entry_id, campaign_id, cast(1 as {{ credit_type }}) as credit
    from touches
    where is_first_touch

    union all

    select 'last_touch' as attribution_model, entry_id, campaign_id, cast(1 as {{ credit_type }}) as credit
    from touches
    where is_last_touch_before_mql

    union all

    select
        'linear' as attribution_model,
        entry_id,
        campaign_id,
        cast(case
            when row_number() over (partition by entry_id order by campaign_id desc) = 1
                then 1 - (sum(rounded_share) over (partition by entry_id) - rounded_share)
            else rounded_share
        end as {{ credit_type }}) as credit
    from linear_shares

    union all

    select
        attribution_models.attribution_model,
        entries.entry_id,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(1 as {{ credit_type }}) as credit
    from entries
    cross join attribution_models
    where not exists (
        select 1 from touches where touches.entry_id = entries.entry_id
    )

)

select
    shares.attribution_model,
    shares.entry_id,
    shares.campaign_id,
    campaigns.campaign_type as channel,
    shares.campaign_id is not null as is_attributed,
    shares.credit,
    entries.entered_at,
    {{ fiscal_quarter_label('cast(entries.entered_at as date)') }} as fiscal_quarter,
    {{ fiscal_quarter_start('cast(entries.entered_at as date)') }} as fiscal_quarter_start,
    {{ fiscal_quarter_end('cast(entries.entered_at as date)') }} as fiscal_quarter_end,
    case when entries.mql_at is not null then shares.credit else cast(0 as {{ credit_type }}) end as mql_credit,
    case when entries.srl_at is not null then shares.credit else cast(0 as {{ credit_type }}) end as srl_credit,
    case when entries.sql_at is not null then shares.credit else cast(0 as {{ credit_type }}) end as sql_credit,
    case when entries.won_at is not null then shares.credit else cast(0 as {{ credit_type }}) end as won_credit,
    case when entries.sql_at is not null then cast(cast(shares.credit as {{ share_type }}) * cast(entries.amount_reporting as {{ cents_type }}) as {{ credit_type }}) end
        as qualified_pipeline_credit,
    case when entries.won_at is not null then cast(cast(shares.credit as {{ share_type }}) * cast(entries.amount_reporting as {{ cents_type }}) as {{ credit_type }}) end
        as won_amount_credit
from shares
inner join entries
    on entries.entry_id = shares.entry_id
left join campaigns
    on campaigns.campaign_id = shares.campaign_id
