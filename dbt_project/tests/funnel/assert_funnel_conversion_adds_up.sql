{#-
    mart_funnel_conversion agrees with itself: the `all` motion is hunting + farming,
    the `all` lead source is the sum over the sources, every cohort narrows down the
    funnel, and a rate is null exactly when its denominator is zero.  Returns the
    rows that break a rule, with the rule's name.
-#}
{%- set additive = ['entries', 'mqls', 'srls', 'srls_from_mqls', 'sqls', 'won', 'lost', 'lost_unqualified', 'won_amount', 'lost_amount'] -%}

with

conversion as (

    select * from {{ ref('mart_funnel_conversion') }}

),

by_motion as (

    select
        period_grain, period_start, method, lead_source,
        {%- for column in additive %}
        sum(case when motion = 'all' then {{ column }} else 0 end)
            - sum(case when motion <> 'all' then {{ column }} else 0 end) as {{ column }}_gap{{ ',' if not loop.last }}
        {%- endfor %}
    from conversion
    group by period_grain, period_start, method, lead_source

),

by_source as (

    select
        period_grain, period_start, method, motion,
        {%- for column in additive %}
        sum(case when lead_source = 'all' then {{ column }} else 0 end)
            - sum(case when lead_source <> 'all' then {{ column }} else 0 end) as {{ column }}_gap{{ ',' if not loop.last }}
        {%- endfor %}
    from conversion
    group by period_grain, period_start, method, motion

),

broken as (

    select 'all motion is not hunting + farming' as rule, period_grain, period_start, method
    from by_motion
    where {% for column in additive %}{{ column }}_gap <> 0{{ ' or ' if not loop.last }}{% endfor %}

    union all

    select 'all lead_source is not the sum over sources' as rule, period_grain, period_start, method
    from by_source
    where {% for column in additive %}{{ column }}_gap <> 0{{ ' or ' if not loop.last }}{% endfor %}

    union all

    select 'a cohort does not narrow down the funnel' as rule, period_grain, period_start, method
    from conversion
    where method = 'cohort'
        and not (
            entries >= mqls
            and mqls >= srls_from_mqls
            and entries >= srls
            and srls >= sqls
            and sqls >= won + lost
        )

    union all

    select 'a rate is null when it has a denominator, or the reverse' as rule, period_grain, period_start, method
    from conversion
    where (mql_to_srl_rate is null) <> (mqls = 0)
        or (srl_to_sql_rate is null) <> (srls = 0)
        or (win_rate_count is null) <> (won + lost = 0)
        or (win_rate_value is null) <> (won_amount + lost_amount = 0)

)

select rule, period_grain, period_start, method
from broken
