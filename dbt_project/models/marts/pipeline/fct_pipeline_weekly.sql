{#-
    The weekly pipeline snapshot analysts query: int_opportunity_weekly_state's rows
    and columns, kept as an incremental table.

    A run writes only what changed: the rows of the new week end(s) and the rows whose
    as-of state a later export corrected (a late audit row, a re-typed deal, a new
    conversion of the amount), with delete+insert on the grain; the post-hook removes
    the rows that no longer exist (a deleted deal, a week it turns out not to have been
    open).  Every other row, the past, stays as written.  The table then holds exactly
    the rows a full refresh gives (tests/test_pipeline_marts.py proves it); a changed
    column list needs `dbt build --full-refresh` (on_schema_change: fail).
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

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['opportunity_id', 'week_end'],
    on_schema_change='fail',
    post_hook="
        delete from {{ this }} as kept
        where not exists (
            select 1
            from {{ ref('int_opportunity_weekly_state') }} as weekly_state
            where weekly_state.opportunity_id = kept.opportunity_id
                and weekly_state.week_end = kept.week_end
        )
    ",
) }}

with

weekly_state as (

    select
        {{ columns | join(',\n        ') }}
    from {{ ref('int_opportunity_weekly_state') }}

){% if is_incremental() %},

-- Rows that are new or differ from the row already written (nulls compare equal).
changed as (

    select {{ columns | join(', ') }} from weekly_state
    {{ dbt.except() }}
    select {{ columns | join(', ') }} from {{ this }}

){% endif %}

select
    {{ columns | join(',\n    ') }}
{% if is_incremental() %}
from changed
{% else %}
from weekly_state
{% endif %}
