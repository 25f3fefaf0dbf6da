"""Publishing: the analyst-facing DuckDB file, replaced atomically after a good build.

The weekly run writes the build file; analysts read the published file.  Publishing
copies the schemas analysts use into a new file beside the published one, then
renames it over the old one.  A rename is atomic: an analyst sees last week's
complete marts or this week's, never a mix, and a connection already open keeps
reading the old file (its inode lives until the connection closes) until they
reconnect.  Nothing here runs unless every error-severity dbt test passed, because
the publish asset depends on every dbt asset.

Every published table and column carries its dbt description as a DuckDB comment,
so DBeaver, `duckdb_columns()` and any client show the docs where the data is.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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


# marts.published_runs is written here, not by dbt: its docs live beside its DDL.
PUBLISHED_RUNS_DOCS = {
    "": "One row per publication of this file (grain: run_id): when, and from which drops.",
    "run_id": "The Dagster run that published (see it in the Dagster UI).",
    "published_at": "When the file was published, UTC.",
    "drops_included": "Every drop loaded into the build file at that time, oldest first.",
    "latest_drop": "The newest of them: the numbers run up to this export.",
    "row_counts": "Rows of each published table (schema.table -> rows), as published.",
}


@dataclass(frozen=True)
class TableDocs:
    description: str
    columns: dict[str, str] = field(default_factory=dict)


def mart_docs(manifest_path: Path) -> dict[str, TableDocs]:
    """The dbt descriptions of every model in the published schemas, by `schema.table`."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    docs: dict[str, TableDocs] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] in PUBLISHED_SCHEMAS:
            columns = {name: col.get("description", "") for name, col in node.get("columns", {}).items()}
            docs[f"{node['schema']}.{node.get('alias') or node['name']}"] = TableDocs(node.get("description", ""), columns)
    return docs


def sql_literal(text: str) -> str:
    # COMMENT ON takes no bound parameters; descriptions are our own YAML, quoted anyway.
    return "'" + " ".join(text.split()).replace("'", "''") + "'"


def _comment(build: duckdb.DuckDBPyConnection, table: str, docs: TableDocs) -> None:
    if docs.description.strip():
        build.execute(f"COMMENT ON TABLE pub.{table} IS {sql_literal(docs.description)}")
    for column, text in docs.columns.items():
        if text.strip():
            build.execute(f"COMMENT ON COLUMN pub.{table}.{quote_ident(column)} IS {sql_literal(text)}")


def minimum_reader_version(storage_tag: str) -> tuple[int, ...]:
    """The oldest DuckDB release that reads a file, from its storage tag ('v1.0.0+')."""
    found = re.match(r"v?(\d+)\.(\d+)\.(\d+)", storage_tag or "")
    if not found:
        raise ValueError(f"unknown DuckDB storage version {storage_tag!r}")
    return tuple(int(part) for part in found.groups())


def published_storage_tag(published: Path) -> str:
    """The storage version DuckDB reports for a file, e.g. 'v1.0.0+' (read-only, from its header)."""
    with duckdb.connect() as con:
        con.execute("ATTACH $path AS pub (READ_ONLY)", {"path": str(published)})
        (tags,) = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'pub'").fetchone()
    return dict(tags).get("storage_version", "")


@dataclass(frozen=True)
class Publication:
    path: Path
    run_id: str
    tables: dict[str, int]  # schema.table -> rows
    drops: list[str]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish(
    build: duckdb.DuckDBPyConnection, published: Path, run_id: str, docs: Mapping[str, TableDocs] | None = None
) -> Publication:
    """Copy the published schemas from the open build connection into `published`, atomically.

    `docs` (from `mart_docs`) become the tables' and columns' comments.
    """
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
            if docs and f"{schema}.{table}" in docs:
                _comment(build, name, docs[f"{schema}.{table}"])
        build.execute(PUBLISHED_RUNS_DDL.format(db="pub"))
        runs_docs = dict(PUBLISHED_RUNS_DOCS)
        _comment(build, "marts.published_runs", TableDocs(runs_docs.pop(""), runs_docs))
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
