{{ config(severity='warn') }}
{#-
    A data check: spend in a currency with no rate valid at its date.  It is not in
    any spend figure (the row of mart_campaign_performance it belongs to shows its
    spend as unknown) and is never counted 1:1.  Add the currency's rates from that
    date on to the currency_rates file.
-#}

select
    currency_id,
    period_start_date,
    spend,
    campaign_id,
    channel,
    source_drop,
    source_file,
    source_line
from {{ ref('int_marketing_spend_converted') }}
where spend_conversion = 'no_rate'
