{#-
    Campaign touches of the funnel, one row per touch: int_campaign_touches_sequenced,
    where the rules live, in the columns analysts read.  No personal data: a lead
    appears by its id only.  A view (reshaping_mart_materialization, macros/spark.sql)
    of that incremental table: its row-local tests read the entries the build
    recomputed, as the table's do (recomputed_key: get_where_subquery,
    macros/incremental.sql).
-#}
{{ config(materialized=reshaping_mart_materialization(), meta={'recomputed_key': 'entry_id'}) }}

with

touches as (

    select * from {{ ref('int_campaign_touches_sequenced') }}

)

select
    touch_id,
    entry_id,
    lead_id,
    opportunity_id,
    campaign_id,
    campaign_name,
    channel,
    touched_at,
    touch_source,
    touch_type,
    entered_at,
    is_counted,
    touch_seq,
    counted_touches,
    is_first_touch,
    is_last_touch_before_mql,
    linear_weight
from touches
