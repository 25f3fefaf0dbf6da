{#-
    How a rate is judged, defined once: its benchmark band (the healthy ranges of
    docs/domain.md, vars benchmark_*) and, for a cohort, whether it is old enough to
    judge (var cohort_maturity_days).
-#}

{#- A benchmark setting as the marts carry it: var benchmark_<name>, decimal(9, 4). -#}
{% macro benchmark(name) -%}
    cast({{ var('benchmark_' ~ name) }} as decimal(9, 4))
{%- endmacro %}

{#- The win-rate benchmark of a motion; a mix of both motions (`all`) has none. -#}
{% macro win_rate_benchmark(motion) -%}
    case {{ motion }}
        when 'hunting' then {{ benchmark('win_rate_hunting') }}
        when 'farming' then {{ benchmark('win_rate_farming') }}
    end
{%- endmacro %}

{#- The win-rate band around a benchmark: benchmark minus / plus the tolerance. -#}
{% macro win_rate_benchmark_low(win_rate_benchmark) -%}
    ({{ win_rate_benchmark }}) - {{ benchmark('win_rate_tolerance') }}
{%- endmacro %}

{% macro win_rate_benchmark_high(win_rate_benchmark) -%}
    ({{ win_rate_benchmark }}) + {{ benchmark('win_rate_tolerance') }}
{%- endmacro %}

{#-
    A rate against its benchmark band (docs/domain.md: healthy ranges): below, within or above
    (a rate on a bound is within); null when the rate or the band is null.  A cohort
    that is still converting is `immature`, not below: its rate will still move, and
    an analyst must not read an unfinished cohort as a problem.  `is_mature` is null
    on rows that are not cohorts (period rows), which are compared as they are.
-#}
{% macro versus_band(rate, low, high, is_mature='null') -%}
    case
        when {{ rate }} is null or {{ low }} is null then null
        when {{ is_mature }} = false then 'immature'
        when {{ rate }} < {{ low }} then 'below'
        when {{ rate }} > {{ high }} then 'above'
        else 'within'
    end
{%- endmacro %}

{#-
    A cohort's age: the days from the end of the period it entered in to the as-of
    date (0 while the period runs).  It is mature once that is at least
    cohort_maturity_days: its conversion rates have had the time to settle.
-#}
{% macro cohort_age_days(period_end, as_of_date) -%}
    greatest({{ dbt.datediff(period_end, as_of_date, 'day') }}, 0)
{%- endmacro %}

{% macro is_cohort_mature(period_end, as_of_date) -%}
    {{ dbt.datediff(period_end, as_of_date, 'day') }} >= {{ var('cohort_maturity_days') }}
{%- endmacro %}
