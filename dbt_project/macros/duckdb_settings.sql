{# `dbt run-operation duckdb_settings`: DuckDB's memory_limit, threads and temp_directory as
   dbt's own connection has them (profiles.yml `config_options:`, from funnelcast.yaml), one
   `duckdb_setting <name>=<value>` line each, then `dbt_threads=<n>`, the models dbt runs at
   once.  tests/test_duckdb_settings.py reads them back. #}
{% macro duckdb_settings() %}
  {% set names = ['memory_limit', 'threads', 'temp_directory'] %}
  {% for name in names %}
    {% set value = run_query("select current_setting('" ~ name ~ "')").columns[0].values()[0] %}
    {{ print('duckdb_setting ' ~ name ~ '=' ~ value) }}
  {% endfor %}
  {{ print('dbt_threads=' ~ target.threads) }}
{% endmacro %}
