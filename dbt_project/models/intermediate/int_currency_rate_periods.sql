{#-
    The currency rates as periods of validity: a rate is in force from its date until the
    next rate of the same currency (valid_to, exclusive; null = still in force).  "The rate
    on day D" is then one join: valid_from <= D and (valid_to is null or D < valid_to),
    the latest rate dated on or before D.  Ephemeral: a lookup the converting models
    inline, not a relation of its own.
-#}
{{ config(materialized='ephemeral') }}

with

currency_rates as (

    select * from {{ ref('stg_reference__currency_rates') }}

)

select
    currency_id,
    valid_from,
    lead(valid_from) over (partition by currency_id order by valid_from) as valid_to,
    rate

from currency_rates
