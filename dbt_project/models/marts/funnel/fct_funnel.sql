{#-
    The lead funnel, one row per entry, as int_funnel_entry_figures defines it (the
    milestones of int_funnel_milestones, the furthest milestone, durations in days).
    No personal data: the lead is named by its id only.  A view of it
    (reshaping_mart_materialization, macros/spark.sql): the publish writes its rows as a
    table of the published file.
-#}
{{ config(materialized=reshaping_mart_materialization()) }}

select * from {{ ref('int_funnel_entry_figures') }}
