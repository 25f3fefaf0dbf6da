{#-
    Records of opportunities exported twice with the same date_modified but different content
    (macros/quality.sql).  An asset check of stg_sugarcrm__opportunities in Dagster: that is where
    staging chooses which version wins.
-#}
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_sugarcrm__opportunities'}}}) }}

-- Read after stg_sugarcrm__opportunities is built, so Dagster runs it as that asset's check:
-- depends_on: {{ ref('stg_sugarcrm__opportunities') }}
{{ conflicting_versions('opportunities') }}
