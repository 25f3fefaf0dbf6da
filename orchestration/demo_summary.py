"""What `make demo` prints at the end: where the warehouse is and a query to try."""

from __future__ import annotations

import duckdb

from ingest.config import load_settings

SAMPLE_QUERY = """\
SELECT motion, sales_stage, count(*) AS deals, round(sum(amount_reporting)) AS amount_reporting
FROM staging.stg_sugarcrm__opportunities
GROUP BY ALL ORDER BY motion, deals DESC"""


def main() -> None:
    settings = load_settings()
    db = settings.build_db
    with duckdb.connect(str(db), read_only=True) as con:
        counts = con.execute(
            """
            SELECT table_schema, count(*) FROM information_schema.tables
            WHERE table_schema IN ('raw', 'staging', 'intermediate', 'marts', 'seeds')
            GROUP BY ALL ORDER BY 1
            """
        ).fetchall()
        drops = con.execute("SELECT count(DISTINCT drop_name), sum(rows_loaded) FROM raw.load_log").fetchone()
        sample = con.sql(SAMPLE_QUERY).limit(8)
        print()
        print(f"Warehouse: {db}")
        print(f"  {drops[0]} drops, {drops[1]:,} raw rows loaded; " + ", ".join(f"{s}: {n} tables/views" for s, n in counts))
        print("  Runs and lineage: make ui  (Dagster UI on http://localhost:3000)")
        print()
        print("Try it (close the connection before the next refresh: DuckDB lets one writer in):")
        print(f"  .venv/bin/python -c \"import duckdb; duckdb.connect('{db}', read_only=True).sql('''{' '.join(SAMPLE_QUERY.split())}''').show()\"")
        print()
        sample.show()


if __name__ == "__main__":
    main()
