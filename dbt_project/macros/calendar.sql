{#-
    The fiscal calendar, weeks, months and reporting periods, defined once.
    intermediate.int_fiscal_calendar materialises them per date (marts.dim_fiscal_calendar
    shows it); models that only need a date's week end, week start, month or fiscal
    quarter call these macros rather than joining the calendar.

    Settings (vars, from funnelcast.yaml): fiscal_year_start_month (1-12),
    fiscal_year_named_by ('start': FY2025 runs Feb 2025 - Jan 2026 when the year
    starts in February; 'end': that year is FY2026), week_end_day.
-#}

{% macro _fy_start_month() -%}
    {{ var('fiscal_year_start_month') | int }}
{%- endmacro %}

{#- Months since the start of the fiscal year this date is in, 0-11. -#}
{% macro fiscal_month_index(date_expr) -%}
    ((extract(month from {{ date_expr }}) - {{ _fy_start_month() }} + 12) % 12)
{%- endmacro %}

{#- The calendar year in which the date's fiscal year starts. -#}
{% macro fiscal_year_start_year(date_expr) -%}
    (extract(year from {{ date_expr }}) - case when extract(month from {{ date_expr }}) < {{ _fy_start_month() }} then 1 else 0 end)
{%- endmacro %}

{% macro fiscal_year(date_expr) -%}
    {%- if var('fiscal_year_named_by', 'start') == 'end' and (var('fiscal_year_start_month') | int) > 1 -%}
        ({{ fiscal_year_start_year(date_expr) }} + 1)
    {%- else -%}
        {{ fiscal_year_start_year(date_expr) }}
    {%- endif -%}
{%- endmacro %}

{% macro fiscal_quarter_number(date_expr) -%}
    (cast(floor({{ fiscal_month_index(date_expr) }} / 3) as integer) + 1)
{%- endmacro %}

{#- The label analysts and the targets file use: FY2026-Q3. -#}
{% macro fiscal_quarter_label(date_expr) -%}
    ('FY' || cast({{ fiscal_year(date_expr) }} as {{ dbt.type_string() }}) || '-Q' || cast({{ fiscal_quarter_number(date_expr) }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro fiscal_quarter_start(date_expr) -%}
    cast({{ dbt.dateadd('month', '3 * (' ~ fiscal_quarter_number(date_expr) ~ ' - 1)',
        'make_date(cast(' ~ fiscal_year_start_year(date_expr) ~ ' as integer), ' ~ _fy_start_month() ~ ', 1)') }} as date)
{%- endmacro %}

{% macro fiscal_quarter_end(date_expr) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, fiscal_quarter_start(date_expr))) }} as date)
{%- endmacro %}

{#- ISO day number (Monday = 1 ... Sunday = 7) of the configured week end. -#}
{% macro _week_end_isodow() -%}
    {%- set days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] -%}
    {%- set day = var('week_end_day') | lower -%}
    {%- if day not in days -%}
        {{ exceptions.raise_compiler_error("week_end_day must be a weekday name, got " ~ day) }}
    {%- endif -%}
    {{ days.index(day) + 1 }}
{%- endmacro %}

{#- The week end on or after the date: the date weekly snapshots of it belong to. -#}
{% macro week_end(date_expr) -%}
    cast({{ dbt.dateadd('day', '((' ~ _week_end_isodow() ~ ' - ' ~ iso_day_of_week(date_expr) ~ ' + 7) % 7)', date_expr) }} as date)
{%- endmacro %}

{#- The first day of the week that ends at a week end: the one place a week is 7 days. -#}
{% macro week_start_of_week_end(week_end_expr) -%}
    cast({{ dbt.dateadd('day', -6, week_end_expr) }} as date)
{%- endmacro %}

{#- The first day of the date's week (the week that ends at week_end(date)). -#}
{% macro week_start(date_expr) -%}
    {{ week_start_of_week_end(week_end(date_expr)) }}
{%- endmacro %}

{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro month_end(date_expr) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', date_expr))) }} as date)
{%- endmacro %}

{#-
    The reporting periods a date is in, one row per grain: week (labelled by its week
    end), month (YYYY-MM) and fiscal_quarter (FY2026-Q3), each with its first and last
    day.  `days` is a relation with a date column `date_day`.
-#}
{% macro date_periods(days) -%}
    {%- set grains = [
        ('week', week_start('date_day'), week_end('date_day'),
            'cast(' ~ week_end('date_day') ~ ' as ' ~ dbt.type_string() ~ ')'),
        ('month', month_start('date_day'), month_end('date_day'),
            'substring(cast(date_day as ' ~ dbt.type_string() ~ '), 1, 7)'),
        ('fiscal_quarter', fiscal_quarter_start('date_day'), fiscal_quarter_end('date_day'),
            fiscal_quarter_label('date_day')),
    ] -%}
    {%- for grain, period_start, period_end, period_label in grains %}
    select
        date_day,
        '{{ grain }}' as period_grain,
        {{ period_start }} as period_start,
        {{ period_end }} as period_end,
        {{ period_label }} as period_label
    from {{ days }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    The time between two timestamps, in days or hours with fractions: the durations of
    the funnel and the pipeline.  Divided as doubles: a decimal divisor would make Spark
    keep six decimals where DuckDB keeps a double's.
-#}
{% macro elapsed_days(from_timestamp, to_timestamp) -%}
    ({{ dbt.datediff(from_timestamp, to_timestamp, 'second') }} / cast(86400 as double))
{%- endmacro %}

{% macro elapsed_hours(from_timestamp, to_timestamp) -%}
    ({{ dbt.datediff(from_timestamp, to_timestamp, 'second') }} / cast(3600 as double))
{%- endmacro %}
