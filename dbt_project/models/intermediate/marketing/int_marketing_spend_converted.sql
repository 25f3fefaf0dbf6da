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

currency_rates as (

    select * from {{ ref('stg_reference__currency_rates') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

-- The record key has three columns that may be empty: number the rows once, so that
-- the rate lookup joins back on one non-null key.
numbered as (

    select
        row_number() over (
            order by period_start_date, campaign_id, channel, currency_id, source_drop, source_file, source_line
        ) as spend_row,
        spend.*
    from spend

),

rates_at_period as (

    select
        numbered.spend_row,
        currency_rates.rate,
        row_number() over (
            partition by numbered.spend_row
            order by currency_rates.valid_from desc
        ) as rate_rank
    from numbered
    inner join currency_rates
        on currency_rates.currency_id = numbered.currency_id
        and currency_rates.valid_from <= numbered.period_start_date

),

converted as (

    select
        numbered.*,
        campaigns.campaign_type as campaign_channel,
        case
            when numbered.currency_id is null
                or numbered.currency_id = upper('{{ var("reporting_currency") }}')
                then 'reporting_currency'
            when rates_at_period.rate is not null then 'currency_rate'
            else 'no_rate'
        end as spend_conversion,
        rates_at_period.rate
    from numbered
    left join rates_at_period
        on rates_at_period.spend_row = numbered.spend_row
        and rates_at_period.rate_rank = 1
    left join campaigns
        on campaigns.campaign_id = numbered.campaign_id

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
    case
        when spend_conversion = 'reporting_currency' then cast(spend as decimal(38, 12))
        when spend_conversion = 'currency_rate' then cast(spend * rate as decimal(38, 12))
    end as spend_reporting,
    {{ fiscal_quarter_label('period_start_date') }} as fiscal_quarter,
    {{ fiscal_quarter_start('period_start_date') }} as fiscal_quarter_start,
    {{ fiscal_quarter_end('period_start_date') }} as fiscal_quarter_end,
    source_drop,
    source_file,
    source_line
from converted
