{#-
    The totals behind marts.mart_campaign_performance (docs/domain.md section 6): per
    attribution model, fiscal quarter, level and key, the credited funnel
    (int_campaign_credits_allocated: the cohort of entries that came into the funnel
    in the quarter), the counted touches (int_campaign_touches_sequenced) and the
    spend of the quarter (int_marketing_spend_converted).

    The key: level = campaign (a campaign, or `unattributed`: the entries no campaign
    touched and the spend booked to no campaign) or channel (the campaign type; a
    campaign with no type is `(not set)`; `unattributed`: the entries no campaign
    touched and the spend with neither campaign nor channel).  A row exists where a
    campaign or channel has a credit or spend in the quarter, in all three models; the
    unattributed row in every quarter with an entry or spend.

    Over 200 lines on purpose: the three streams (credits, touches, spend) are each
    keyed at both levels by the same rules and then joined on that one key; apart,
    the key's rules would be written three times.
-#}
{%- set unattributed = 'unattributed' -%}
{%- set not_set = '(not set)' -%}
{%- set all_campaigns = 'all' -%}
{%- set credit_measures = {
    'mqls': 'mql_credit',
    'srls': 'srl_credit',
    'sqls': 'sql_credit',
    'won_deals': 'won_credit',
    'qualified_pipeline_amount': 'qualified_pipeline_credit',
    'won_amount': 'won_amount_credit',
} -%}

with

credits as (

    select * from {{ ref('int_campaign_credits_allocated') }}

),

touches as (

    select * from {{ ref('int_campaign_touches_sequenced') }}
    where is_counted

),

spend as (

    select * from {{ ref('int_marketing_spend_converted') }}

),

levels as (

    select 'campaign' as level
    union all
    select 'channel' as level

),

-- The models are int_campaign_credits_allocated's: every entry is credited in each.
attribution_models as (

    select distinct attribution_model from credits

),

-- Without a marketing_spend file the spend is unknown (null), not zero.
spend_file as (

    select count(*) > 0 as has_spend from spend

),

-- The key of each fact at both levels.  A campaign's channel is its campaign type.
credit_facts as (

    select
        levels.level,
        credits.attribution_model,
        credits.fiscal_quarter_start,
        case
            when levels.level = 'channel' then '{{ all_campaigns }}'
            else coalesce(credits.campaign_id, '{{ unattributed }}')
        end as campaign_id,
        case
            when credits.campaign_id is null then '{{ unattributed }}'
            else coalesce(credits.channel, '{{ not_set }}')
        end as channel,
        {%- for measure, credit in credit_measures.items() %}
        coalesce(credits.{{ credit }}, 0) as {{ credit }}{{ ',' if not loop.last }}
        {%- endfor %}
    from credits
    cross join levels

),

credit_totals as (

    select
        level,
        attribution_model,
        fiscal_quarter_start,
        campaign_id,
        channel,
        {%- for measure, credit in credit_measures.items() %}
        sum({{ credit }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from credit_facts
    group by level, attribution_model, fiscal_quarter_start, campaign_id, channel

),

-- Counted touches of the quarter's entries: the same in every model.
touch_facts as (

    select
        levels.level,
        {{ fiscal_quarter_start('cast(touches.entered_at as date)') }} as fiscal_quarter_start,
        case when levels.level = 'campaign' then touches.campaign_id else '{{ all_campaigns }}' end as campaign_id,
        coalesce(touches.channel, '{{ not_set }}') as channel
    from touches
    cross join levels

),

touch_totals as (

    select level, fiscal_quarter_start, campaign_id, channel, count(*) as touches
    from touch_facts
    group by level, fiscal_quarter_start, campaign_id, channel

),

spend_facts as (

    select
        levels.level,
        spend.fiscal_quarter_start,
        case
            when levels.level = 'channel' then '{{ all_campaigns }}'
            when spend.campaign_id is null then '{{ unattributed }}'
            else spend.campaign_id
        end as campaign_id,
        case
            when spend.campaign_id is not null then coalesce(spend.campaign_channel, '{{ not_set }}')
            when levels.level = 'campaign' then '{{ unattributed }}'
            else coalesce(spend.channel, '{{ unattributed }}')
        end as channel,
        spend.spend_reporting,
        case when spend.spend_conversion = 'no_rate' then 1 else 0 end as is_without_rate
    from spend
    cross join levels

),

spend_totals as (

    select
        level,
        fiscal_quarter_start,
        campaign_id,
        channel,
        sum(spend_reporting) as converted_spend,
        sum(is_without_rate) as spend_rows_without_rate
    from spend_facts
    group by level, fiscal_quarter_start, campaign_id, channel

),

-- Every key with a credit or spend, plus the unattributed row of every quarter that
-- has an entry or spend, in all three models.
keys as (

    select level, fiscal_quarter_start, campaign_id, channel from credit_totals
    union
    select level, fiscal_quarter_start, campaign_id, channel from spend_totals
    union
    select
        levels.level,
        quarters.fiscal_quarter_start,
        case when levels.level = 'campaign' then '{{ unattributed }}' else '{{ all_campaigns }}' end as campaign_id,
        '{{ unattributed }}' as channel
    from (
        select fiscal_quarter_start from credits
        union
        select fiscal_quarter_start from spend
    ) as quarters
    cross join levels

)

-- Every key in every attribution model, with its totals.
select
    attribution_models.attribution_model,
    keys.level,
    keys.campaign_id,
    keys.channel,
    keys.fiscal_quarter_start,
    coalesce(touch_totals.touches, 0) as touches,
    {%- for measure in credit_measures %}
    coalesce(credit_totals.{{ measure }}, 0) as {{ measure }},
    {%- endfor %}
    -- Unknown when there is no spend file, or when a spend row of this key could
    -- not be converted (no rate): a partial sum would pass for the whole.
    case
        when not spend_file.has_spend then null
        when coalesce(spend_totals.spend_rows_without_rate, 0) > 0 then null
        else coalesce(spend_totals.converted_spend, 0)
    end as spend,
    cast(coalesce(spend_totals.spend_rows_without_rate, 0) as {{ dbt.type_bigint() }}) as spend_rows_without_rate
from keys
cross join attribution_models
cross join spend_file
left join credit_totals
    on credit_totals.level = keys.level
    and credit_totals.attribution_model = attribution_models.attribution_model
    and credit_totals.fiscal_quarter_start = keys.fiscal_quarter_start
    and credit_totals.campaign_id = keys.campaign_id
    and credit_totals.channel = keys.channel
left join touch_totals
    on touch_totals.level = keys.level
    and touch_totals.fiscal_quarter_start = keys.fiscal_quarter_start
    and touch_totals.campaign_id = keys.campaign_id
    and touch_totals.channel = keys.channel
left join spend_totals
    on spend_totals.level = keys.level
    and spend_totals.fiscal_quarter_start = keys.fiscal_quarter_start
    and spend_totals.campaign_id = keys.campaign_id
    and spend_totals.channel = keys.channel
