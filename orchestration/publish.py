"""Publishing: the analyst-facing DuckDB file, replaced atomically after a good build.

The weekly run writes the build file; analysts read the published file.  Publishing
copies the schemas analysts use into a new file beside the published one, then
renames it over the old one.  A rename is atomic: an analyst sees last week's
complete marts or this week's, never a mix, and a connection already open keeps
reading the old file (its inode lives until the connection closes) until they
reconnect.  Nothing here runs unless every error-severity dbt test passed, because
the publish asset depends on every dbt asset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Schemas copied to the published file.  staging and raw hold personal data (lead
# names, e-mails, phones) and are never published.
PUBLISHED_SCHEMAS = ("marts",)

# DuckDB 2.x writes a storage format that 1.x clients (DBeaver's JDBC driver, older
# Python and R packages) cannot open.  Writing the published file as v1.0.0 lets
# every client from DuckDB 1.0 on read it.
PUBLISHED_STORAGE_VERSION = "v1.0.0"

PUBLISHED_RUNS_DDL = """
CREATE TABLE IF NOT EXISTS {db}.marts.published_runs (
    run_id VARCHAR NOT NULL,
    published_at TIMESTAMP NOT NULL,
    drops_included VARCHAR[] NOT NULL,
    latest_drop VARCHAR,
    row_counts MAP(VARCHAR, BIGINT) NOT NULL
)
"""


@dataclass(frozen=True)
class Publication:
    path: Path
    run_id: str
    tables: dict[str, int]  # schema.table -> rows
    drops: list[str]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish(build: duckdb.DuckDBPyConnection, published: Path, run_id: str) -> Publication:
    """Copy the published schemas from the open build connection into `published`, atomically."""
    published.parent.mkdir(parents=True, exist_ok=True)
    # A run killed while publishing leaves its half-written file behind: remove it.
    for leftover in published.parent.glob(f".{published.name}.*.tmp"):
        leftover.unlink(missing_ok=True)
    staging_file = published.with_name(f".{published.name}.{run_id}.tmp")
    tables = build.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema IN (SELECT unnest($schemas)) "
        "AND table_name <> 'published_runs' ORDER BY ALL",
        {"schemas": list(PUBLISHED_SCHEMAS)},
    ).fetchall()
    drops = [r[0] for r in build.execute("SELECT DISTINCT drop_name FROM raw.load_log ORDER BY 1").fetchall()]
    counts: dict[str, int] = {}
    build.execute(f"ATTACH $path AS pub (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')", {"path": str(staging_file)})
    try:
        for schema in PUBLISHED_SCHEMAS:
            build.execute(f"CREATE SCHEMA IF NOT EXISTS pub.{quote_ident(schema)}")
        for schema, table in tables:
            name = f"{quote_ident(schema)}.{quote_ident(table)}"
            build.execute(f"CREATE TABLE pub.{name} AS SELECT * FROM {name}")
            counts[f"{schema}.{table}"] = build.execute(f"SELECT count(*) FROM pub.{name}").fetchone()[0]
        build.execute(PUBLISHED_RUNS_DDL.format(db="pub"))
        _carry_over_history(build, published)
        build.execute(
            "INSERT INTO pub.marts.published_runs VALUES "
            "($run_id, timezone('UTC', now()), $drops, $latest, MAP($names, $rows))",
            {"run_id": run_id, "drops": drops, "latest": drops[-1] if drops else None,
             "names": list(counts), "rows": list(counts.values())},
        )
        build.execute("DETACH pub")
    except BaseException:
        build.execute("DETACH DATABASE IF EXISTS pub")
        staging_file.unlink(missing_ok=True)
        raise
    _fsync(staging_file)
    os.replace(staging_file, published)  # the atomic step
    _fsync(published.parent)
    return Publication(published, run_id, counts, drops)


def _carry_over_history(build: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Keep the earlier runs' rows of marts.published_runs from the file being replaced."""
    if not published.exists():
        return
    build.execute("ATTACH $path AS previous (READ_ONLY)", {"path": str(published)})
    try:
        has_history = build.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'previous' "
            "AND table_schema = 'marts' AND table_name = 'published_runs'"
        ).fetchone()[0]
        if has_history:
            build.execute("INSERT INTO pub.marts.published_runs SELECT * FROM previous.marts.published_runs")
    finally:
        build.execute("DETACH previous")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
