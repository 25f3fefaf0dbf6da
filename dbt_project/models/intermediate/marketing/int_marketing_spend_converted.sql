{#-
    Marketing spend in the reporting currency, one row per spend row of the export.
    The rate is the currency_rates row valid on the first day of the period the spend
    covers (the latest rate dated on or before it).  Spend with no currency, or in the
    reporting currency, is taken as it is.  Spend in a currency with no rate valid at
    that date is kept with spend_reporting null (never converted 1:1, never dropped):
    the warn test assert_marketing_spend_has_a_rate lists it, and the campaign
    performance mart shows the spend of its row as unknown.
-#}

with

spend as (

    select * from {{ ref('stg_marketing__marketing_spend') }}

),

currency_rate_periods as (

    select * from {{ ref('int_currency_rate_periods') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

converted as (

    select
        spend.*,
        campaigns.campaign_type as campaign_channel,
        {{ currency_conversion('spend.currency_id', 'currency_rate_periods.rate') }} as spend_conversion,
        currency_rate_periods.rate
    from spend
    left join currency_rate_periods
        on currency_rate_periods.currency_id = spend.currency_id
        and currency_rate_periods.valid_from <= spend.period_start_date
        and (currency_rate_periods.valid_to is null
            or spend.period_start_date < currency_rate_periods.valid_to)
    left join campaigns
        on campaigns.campaign_id = spend.campaign_id

)

select
    period_start_date,
    campaign_id,
    channel,
    campaign_channel,
    currency_id,
    spend,
    spend_conversion,
    case when spend_conversion = 'currency_rate' then rate end as rate,
    {{ at_reporting_rate('spend', reporting_rate('currency_id', 'rate')) }} as spend_reporting,
    {{ fiscal_quarter_label('period_start_date') }} as fiscal_quarter,
    {{ fiscal_quarter_start('period_start_date') }} as fiscal_quarter_start,
    {{ fiscal_quarter_end('period_start_date') }} as fiscal_quarter_end,
    source_drop,
    source_file,
    source_line
from converted
