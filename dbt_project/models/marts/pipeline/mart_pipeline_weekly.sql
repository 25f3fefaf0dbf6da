{#-
    The qualified pipeline's four V's per week end (docs/domain.md: the qualified pipeline), per motion
    and for both (`all`): volume and value of the open qualified deals at the week end;
    velocity and conversion over the trailing window of var pipeline_trailing_weeks
    week ends ending at it (int_pipeline_weekly_figures, where the closes in the window
    are defined); the win rates against their benchmark band (macros/benchmarks.sql);
    each figure's change from the previous week end.
-#}
{%- set trailing_weeks = var('pipeline_trailing_weeks', 13) | int -%}
{%- set tracked_figures = [
    'qualified_opportunities',
    'qualified_pipeline_amount',
    'pipeline_velocity',
    'median_days_in_pipeline',
    'win_rate_count',
    'win_rate_value',
] -%}

with

figures as (

    select * from {{ ref('int_pipeline_weekly_figures') }}

),

as_of as (

    select pipeline_as_of_date as as_of_date from {{ ref('int_as_of') }}

),

derived as (

    select
        figures.*,
        -- To the cent: a sum of doubles depends on the order rows are added in, and an
        -- incremental build adds them in another order than a full one.
        {{ estimate_cents('figures.qualified_opportunities * cast(figures.average_won_deal_size as double)
            * figures.win_rate_count / nullif(cast(figures.average_sales_cycle_days as double), 0)') }} as pipeline_velocity,
        {{ win_rate_benchmark('figures.motion') }} as win_rate_benchmark,
        {{ win_rate_benchmark_low(win_rate_benchmark('figures.motion')) }} as win_rate_benchmark_low,
        {{ win_rate_benchmark_high(win_rate_benchmark('figures.motion')) }} as win_rate_benchmark_high
    from figures

)

select
    derived.week_end,
    derived.motion,
    derived.week_end <= as_of.as_of_date as is_week_complete,
    {{ trailing_weeks }} as trailing_window_weeks,
    cast({{ dbt.dateadd('day', 1 - 7 * trailing_weeks, 'derived.week_end') }} as date) as trailing_window_start,
    derived.qualified_opportunities,
    derived.qualified_pipeline_amount,
    derived.median_days_in_pipeline,
    derived.won_opportunities,
    derived.lost_opportunities,
    derived.won_amount,
    derived.lost_amount,
    derived.average_won_deal_size,
    derived.average_sales_cycle_days,
    derived.pipeline_velocity,
    derived.win_rate_count,
    derived.win_rate_value,
    derived.win_rate_benchmark,
    derived.win_rate_benchmark_low,
    derived.win_rate_benchmark_high,
    {{ versus_band('derived.win_rate_count', 'derived.win_rate_benchmark_low', 'derived.win_rate_benchmark_high') }}
        as win_rate_count_vs_benchmark,
    {{ versus_band('derived.win_rate_value', 'derived.win_rate_benchmark_low', 'derived.win_rate_benchmark_high') }}
        as win_rate_value_vs_benchmark,
    {%- for figure in tracked_figures %}
    derived.{{ figure }} - lag(derived.{{ figure }}) over (
        partition by derived.motion order by derived.week_end
    ) as {{ figure }}_change{{ ',' if not loop.last }}
    {%- endfor %}

from derived
cross join as_of
