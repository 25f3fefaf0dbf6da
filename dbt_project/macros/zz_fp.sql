{% macro zz_fp() %}
{% set r = run_query("select md5('" ~ models_fingerprint() ~ "' || " ~ vocabularies_fingerprint_sql() ~ ")") %}
{{ print('FP=' ~ r.columns[0].values()[0]) }}
{% endmacro %}
