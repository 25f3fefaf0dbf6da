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

import contextlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.sql_text import quote_ident, sql_literal

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


def comment_literal(text: str) -> str:
    # COMMENT ON takes no bound parameters; descriptions are our own YAML, quoted anyway,
    # on one line.
    return sql_literal(" ".join(text.split()))


def _comment(build: duckdb.DuckDBPyConnection, table: str, docs: TableDocs) -> None:
    if docs.description.strip():
        build.execute(f"COMMENT ON TABLE pub.{table} IS {comment_literal(docs.description)}")
    for column, text in docs.columns.items():
        if text.strip():
            build.execute(f"COMMENT ON COLUMN pub.{table}.{quote_ident(column)} IS {comment_literal(text)}")


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


# The publication history is the build side's: kept in the build file (this schema is
# Funnelcast's own bookkeeping, never dbt's) and copied whole into every published
# file, so publishing never has to read the file it replaces, which may be damaged or
# held by a client.
OPS_SCHEMA = "ops"

BUILD_HISTORY_DDL = PUBLISHED_RUNS_DDL.replace("{db}.marts.published_runs", f"{OPS_SCHEMA}.published_runs")


@dataclass(frozen=True)
class PreviousFile:
    """What was at the published path before this publish."""

    state: str  # missing, ok, held (another process has it open read-write), damaged
    detail: str = ""
    kept_as: Path | None = None  # where a damaged file was kept

    def describe(self) -> str:
        if self.state == "missing":
            return "none (first publication)"
        if self.state == "ok":
            return "replaced"
        if self.state == "held":
            return (f"replaced while {self.detail} held it open read-write: that client keeps reading (and writing) "
                    "its old copy, which no one else sees, until it reconnects")
        return f"DAMAGED ({self.detail}): replaced, and the damaged file kept as {self.kept_as}"


@dataclass(frozen=True)
class Publication:
    path: Path
    run_id: str
    tables: dict[str, int]  # schema.table -> rows
    drops: list[str]
    previous: PreviousFile = PreviousFile("missing")
    leftovers_removed: tuple[str, ...] = ()


def staging_path(published: Path, run_id: str) -> Path:
    return published.with_name(f".{published.name}.{run_id}.tmp")


def remove_leftovers(published: Path) -> list[str]:
    """Remove what a killed or failed publish can leave beside the published file: its
    temporary file and that file's write-ahead log (.tmp.wal), or anything else DuckDB
    made from the temporary file's name.  One publish runs at a time (the warehouse pool),
    so every such file is a leftover."""
    removed = []
    for leftover in sorted(published.parent.glob(f".{published.name}.*.tmp*")):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover.name)
    return removed


def inspect_previous(published: Path) -> tuple[PreviousFile, list[tuple]]:
    """The state of the file about to be replaced, and its publication history when it is readable.

    Read in a connection of its own: whatever the file holds cannot disturb the build
    connection.
    """
    if not published.exists():
        return PreviousFile("missing"), []
    try:
        with duckdb.connect() as probe:
            probe.execute("ATTACH $path AS previous (READ_ONLY)", {"path": str(published)})
            has_history = probe.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' "
                "AND schema_name = 'marts' AND table_name = 'published_runs'"
            ).fetchone()[0]
            if not has_history:
                return PreviousFile("damaged", "a DuckDB file, but not a Funnelcast publication: no marts.published_runs"), []
            history = probe.execute(
                "SELECT run_id, published_at, drops_included, latest_drop, map_keys(row_counts), map_values(row_counts) "
                "FROM previous.marts.published_runs"
            ).fetchall()
            return PreviousFile("ok"), history
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            from orchestration.resources import lock_holder

            return PreviousFile("held", lock_holder(str(exc))), []
        return PreviousFile("damaged", _first_line(exc)), []
    except duckdb.Error as exc:
        return PreviousFile("damaged", _first_line(exc)), []


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def keep_aside(published: Path, previous: PreviousFile) -> PreviousFile:
    """Keep a damaged published file (and its .wal) under a dated name before it is replaced.

    A hard link keeps the swap atomic (the published path always names a complete file);
    where links are not allowed the file is renamed, and for a moment there is none.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    aside = published.with_name(f"{published.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = published.with_name(f"{published.name}.damaged-{stamp}-{n}")
    try:
        os.link(published, aside)
    except OSError:
        os.replace(published, aside)
    wal = published.with_name(published.name + ".wal")
    if wal.exists():  # never replayed into the new file
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    return replace(previous, kept_as=aside)


def ensure_build_history(build: duckdb.DuckDBPyConnection) -> None:
    build.execute(f"CREATE SCHEMA IF NOT EXISTS {OPS_SCHEMA}")
    build.execute(BUILD_HISTORY_DDL)


def _merge_history(build: duckdb.DuckDBPyConnection, history: list[tuple]) -> None:
    """Rows of the old published file the build file lacks: a build file from before the
    history moved here, or a publish killed between its rename and its history row."""
    known = {r[0] for r in build.execute(f"SELECT run_id FROM {OPS_SCHEMA}.published_runs").fetchall()}
    for run_id, published_at, drops, latest, names, rows in history:
        if run_id not in known:
            build.execute(
                f"INSERT INTO {OPS_SCHEMA}.published_runs VALUES ($run_id, $at, $drops, $latest, MAP($names, $rows))",
                {"run_id": run_id, "at": published_at, "drops": drops, "latest": latest, "names": names, "rows": rows},
            )


def publish(
    build: duckdb.DuckDBPyConnection, published: Path, run_id: str, docs: Mapping[str, TableDocs] | None = None
) -> Publication:
    """Copy the published schemas from the open build connection into `published`, atomically.

    `docs` (from `mart_docs`) become the tables' and columns' comments.  Whatever state
    the old published file is in (missing, damaged, held open by a client), it is replaced;
    a damaged one is kept aside (PreviousFile says which).
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    leftovers = remove_leftovers(published)
    ensure_build_history(build)
    previous, history = inspect_previous(published)
    _merge_history(build, history)
    staging_file = staging_path(published, run_id)
    tables = build.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema IN (SELECT unnest($schemas)) "
        "AND table_name <> 'published_runs' ORDER BY ALL",
        {"schemas": list(PUBLISHED_SCHEMAS)},
    ).fetchall()
    drops = [r[0] for r in build.execute("SELECT DISTINCT drop_name FROM raw.load_log ORDER BY 1").fetchall()]
    counts: dict[str, int] = {}
    published_at = datetime.now(timezone.utc).replace(tzinfo=None)
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
        row = {"run_id": run_id, "at": published_at, "drops": drops, "latest": drops[-1] if drops else None,
               "names": list(counts), "rows": list(counts.values())}
        build.execute(f"INSERT INTO pub.marts.published_runs SELECT * FROM {OPS_SCHEMA}.published_runs")
        build.execute("INSERT INTO pub.marts.published_runs VALUES ($run_id, $at, $drops, $latest, MAP($names, $rows))", row)
        build.execute("DETACH pub")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            build.execute("DETACH DATABASE IF EXISTS pub")
        remove_leftovers(published)
        raise
    _fsync(staging_file)
    if previous.state == "damaged":
        previous = keep_aside(published, previous)
    os.replace(staging_file, published)  # the atomic step
    _fsync(published.parent)
    build.execute(f"INSERT INTO {OPS_SCHEMA}.published_runs VALUES ($run_id, $at, $drops, $latest, MAP($names, $rows))", row)
    return Publication(published, run_id, counts, drops, previous, tuple(leftovers))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
