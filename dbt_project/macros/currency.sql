{#-
    Conversion to the reporting currency (var reporting_currency), written once for the
    opportunities (int_opportunities), the marketing spend (int_marketing_spend_converted)
    and the amounts of earlier weeks (int_opportunity_weekly_state).  The rate of a
    currency on a date comes from int_currency_rate_periods.
-#}

{#- The record is in the reporting currency: it says so, or it names no currency. -#}
{% macro is_reporting_currency(currency_id) -%}
    ({{ currency_id }} is null or {{ currency_id }} = upper('{{ var("reporting_currency") }}'))
{%- endmacro %}

{#-
    How an amount is converted: 'reporting_currency' (taken as it is), 'currency_rate'
    (at the rate found) or 'no_rate' (left unknown: never converted 1:1 silently).
-#}
{% macro currency_conversion(currency_id, rate) -%}
    case
        when {{ is_reporting_currency(currency_id) }} then 'reporting_currency'
        when {{ rate }} is not null then 'currency_rate'
        else 'no_rate'
    end
{%- endmacro %}

{#- The rate to the reporting currency: 1 for the reporting currency itself, else the rate found (null: none). -#}
{% macro reporting_rate(currency_id, rate) -%}
    case when {{ is_reporting_currency(currency_id) }} then 1 else {{ rate }} end
{%- endmacro %}

{#-
    An amount in the reporting currency at `rate` (null when the rate is).  amount x rate
    has the scales of both (DECIMAL(38,24)): cast back to a fixed scale, or a later
    product (a campaign's credit share x amount) would overflow DuckDB's decimals.
-#}
{% macro at_reporting_rate(amount, rate) -%}
    cast({{ amount }} * {{ rate }} as decimal(38, 12))
{%- endmacro %}
