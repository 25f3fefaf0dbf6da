{#-
    Records of leads exported twice with the same date_modified but different content
    (macros/quality.sql).  An asset check of stg_sugarcrm__leads in Dagster: that is where
    staging chooses which version wins.
-#}
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_sugarcrm__leads'}}}) }}

-- Read after stg_sugarcrm__leads is built, so Dagster runs it as that asset's check:
-- depends_on: {{ ref('stg_sugarcrm__leads') }}
{{ conflicting_versions('leads') }}
