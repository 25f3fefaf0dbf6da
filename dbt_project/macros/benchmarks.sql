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
