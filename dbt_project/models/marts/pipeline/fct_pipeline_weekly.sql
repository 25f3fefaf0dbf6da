{#-
    The weekly pipeline snapshot analysts query: int_opportunity_weekly_state's rows,
    in the columns analysts read.  A view of the spine (reshaping_mart_materialization,
    macros/spark.sql): the spine is the incremental table a weekly run rewrites, and the
    publish writes this view's rows as a table of the published file.  Its rows are the
    spine's by construction: its grain and values are tested on the spine.
-#}
{%- set columns = [
    'week_end',
    'opportunity_id',
    'owner_user_id',
    'motion',
    'stage',
    'stage_order',
    'milestone',
    'stage_entered_at',
    'is_open',
    'is_qualified',
    'qualified_at',
    'amount_reporting',
    'close_date',
    'close_fiscal_quarter',
    'forecast_category',
    'is_won_this_week',
    'is_lost_this_week',
    'history_source',
] -%}

{{ config(materialized=reshaping_mart_materialization()) }}

select
    {{ columns | join(',\n    ') }}
from {{ ref('int_opportunity_weekly_state') }}
