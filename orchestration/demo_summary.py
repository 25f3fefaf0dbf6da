"""What `make demo` prints at the end: where the data is, a query to try, and last the Monday report."""

from __future__ import annotations

import duckdb

from funnelcast.settings import load_settings
from orchestration.report import report_path

# How fresh the published numbers are.
FRESHNESS_QUERY = "SELECT published_at, latest_drop FROM marts.published_runs ORDER BY published_at DESC LIMIT 1"

# The first query an analyst runs on the published file (the README shows the same).
ANALYST_QUERY = """\
SELECT period_label AS month, motion, mqls, srls, sqls, won, lost,
       round(mql_to_srl_rate, 3) AS mql_to_srl, mql_to_srl_vs_benchmark,
       round(win_rate_count, 3) AS win_rate, win_rate_count_vs_benchmark, is_mature
FROM marts.mart_funnel_conversion
WHERE period_grain = 'month' AND method = 'cohort' AND lead_source = 'all' AND motion IN ('hunting', 'farming')
ORDER BY period_start DESC, motion LIMIT 12"""

# For data engineers: the raw, staging and intermediate layers, in the build file only.
ENGINEER_QUERY = """\
SELECT motion, sales_stage, count(*) AS deals, round(sum(amount_reporting)) AS amount_reporting
FROM intermediate.int_opportunities GROUP BY ALL ORDER BY motion, deals DESC"""


def one_line(sql: str) -> str:
    return " ".join(sql.split())


def main() -> None:
    settings = load_settings()
    published, build = settings.published_db, settings.build_db
    with duckdb.connect(str(build), read_only=True) as con:
        counts = con.execute(
            "SELECT table_schema, count(*) FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'staging', 'intermediate', 'marts', 'vocabulary') GROUP BY ALL ORDER BY 1"
        ).fetchall()
        drops, rows = con.execute("SELECT count(DISTINCT drop_name), sum(rows_loaded) FROM raw.load_log").fetchone()
    print()
    print(f"Marts for analysts (read-only, replaced atomically by each good run): {published}")
    print(f"Build file for engineers ({drops} drops, {rows or 0:,} raw rows; "
          + ", ".join(f"{s}: {n}" for s, n in counts) + f" tables/views): {build}")
    print("Runs, lineage and dbt test results: make ui  (Dagster UI on http://localhost:3000)")
    print()
    print("Try:")
    print(f"  .venv/bin/python -c \"import duckdb; duckdb.connect('{published}', read_only=True).sql('''{one_line(ANALYST_QUERY)}''').show()\"")
    print()
    with duckdb.connect(str(published), read_only=True) as con:
        published_at, latest_drop = con.execute(FRESHNESS_QUERY).fetchall()[0]
        print(f"Published {published_at:%Y-%m-%d %H:%M} UTC from drops up to {latest_drop}; recent monthly cohorts:")
        con.sql(ANALYST_QUERY).show(max_width=200)
    print("Raw and staging (personal data: never published) are in the build file; read it only between runs,")
    print("since an open reader blocks the next refresh:")
    print(f"  .venv/bin/python -c \"import duckdb; duckdb.connect('{build}', read_only=True).sql('''{one_line(ENGINEER_QUERY)}''').show()\"")
    print()
    # Last, so it is the line a person sees when the demo ends.
    print(f"The Monday report (open it in a browser; it works offline): {report_path(published)}")


if __name__ == "__main__":
    main()
