{#-
    Conversion to the reporting currency (var reporting_currency), written once for the
    opportunities (int_opportunities), the marketing spend (int_marketing_spend_converted)
    and the amounts of every week (int_opportunity_weekly_state).  The rate of a
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
    A reporting amount rounded to cents, the one rounding every reporting amount gets
    (opportunities, weekly state, spend): each row is exact to the cent, so a roll-up of
    rows equals the sum of the rows as shown.  Half a cent rounds away from zero.  The
    scale stays 12: the amount x a credit share (the marketing marts) must not overflow
    DuckDB's decimals, and a fixed scale keeps the column type of the models.
-#}
{% macro reporting_cents(value) -%}
    cast(round(cast({{ value }} as decimal(38, 12)), 2) as decimal(38, 12))
{%- endmacro %}

{#- An amount in the reporting currency at `rate` (null when the rate is), in cents. -#}
{% macro at_reporting_rate(amount, rate) -%}
    {{ reporting_cents(amount ~ ' * ' ~ rate) }}
{%- endmacro %}

{#-
    A week's amount in the reporting currency (int_opportunity_weekly_state): `amount` is
    the amount in force at the week end, `week_end_rate` the currency's rate valid that day.
    - The CRM converted the deal itself (amount_conversion 'amount_usdollar'): the CRM's
      ratio (amount_usdollar / amount of the current record, `crm_rate`) stands for every
      week, the current amount shows exactly the CRM's figure.  The export has no history
      of amount_usdollar (the audit log does not track it), so the CRM's ratio of an
      earlier week is unknown: its current ratio is the best known (docs/marts.md).
    - Otherwise: the amount at the rate valid on the week end (1 for the reporting
      currency, unknown without a rate), so a euro deal's value moves with the euro.
-#}
{% macro weekly_amount_reporting(amount, current_amount, current_amount_reporting, amount_conversion, crm_rate, currency_id, week_end_rate) -%}
    case
        when {{ amount_conversion }} = 'amount_usdollar' and {{ amount }} = {{ current_amount }}
            then {{ reporting_cents(current_amount_reporting) }}
        when {{ amount_conversion }} = 'amount_usdollar'
            then {{ at_reporting_rate(amount, crm_rate) }}
        else {{ at_reporting_rate(amount, reporting_rate(currency_id, week_end_rate)) }}
    end
{%- endmacro %}

{#-
    An estimate (a double: an expected amount, a velocity) to the cent, kept a double.
    Rounded in decimals, half a cent away from zero, from the value to six decimals: a
    double's own round() does not agree between warehouses at half a cent, nor do two
    warehouses' doubles agree in their last bits (36020.435 is 36020.43499999999767 or
    36020.43500000000495, by the order or the conversion the sum took).
-#}
{% macro estimate_cents(value) -%}
    cast(round(cast({{ value }} as decimal(38, 6)), 2) as double)
{%- endmacro %}
