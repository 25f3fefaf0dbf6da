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

Rows that did not change since the last publication are not written again: the new file
starts as a byte copy of the previous one (a reflink where the filesystem allows it).  Of
each table with the build file's columns, the copy's rows and the build file's are hashed
(one pass over each): a table whose rows all match is kept; a table where a few differ is
patched (the copy's rows the build file no longer has are deleted, the build file's new
rows inserted: a weekly drop changes a few percent of each large mart), unless repeated
rows make that inexact; any other table is written whole.  The previous file is reused
only when it is sound: readable, not held open read-write, without a write-ahead log, in
the published storage version, holding nothing but the published tables, and not mostly
free blocks.  Otherwise, or when too few rows sit in tables of unchanged columns to pay
for the copy and the hashing, every table is copied, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
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


def _comment(build: duckdb.DuckDBPyConnection, table: str, docs: TableDocs, clear: tuple[str, ...] = ()) -> None:
    """The table's and its columns' comments from `docs`; the `clear` columns (of a table kept from
    the previous file) lose a comment their docs no longer give."""
    if docs.description.strip() or clear:
        text = comment_literal(docs.description) if docs.description.strip() else "NULL"
        build.execute(f"COMMENT ON TABLE pub.{table} IS {text}")
    for column in dict.fromkeys([*docs.columns, *clear]):
        text = docs.columns.get(column, "")
        if text.strip():
            build.execute(f"COMMENT ON COLUMN pub.{table}.{quote_ident(column)} IS {comment_literal(text)}")
        elif column in clear:
            build.execute(f"COMMENT ON COLUMN pub.{table}.{quote_ident(column)} IS NULL")


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
    tables_copied: tuple[str, ...] = ()  # written from the build file
    tables_kept: tuple[str, ...] = ()  # unchanged: kept as the previous file had them
    tables_patched: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (rows deleted, rows inserted)
    full_copy_reason: str = ""  # why the previous file was not reused; empty when it was
    stale_wal_kept_as: Path | None = None  # where the previous file's write-ahead log was moved


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


# A previous file more than this share free blocks (dropped tables' space, reused by later
# writes) is not reused: a full copy writes it compactly again.
MAX_FREE_SHARE = 0.5


def reuse_obstacle(published: Path, previous: PreviousFile) -> tuple[str, dict[str, tuple]]:
    """Why the previous published file cannot be the start of the new one (empty when it can), and the
    shape (`table_shapes`) of each of its tables.

    Read in a connection of its own, as `inspect_previous` reads it.
    """
    if previous.state != "ok":
        return {"missing": "no previous file", "held": "the previous file is held open read-write"}.get(
            previous.state, "the previous file is damaged"), {}
    if published.with_name(published.name + ".wal").exists():
        return "the previous file has a write-ahead log (a client wrote to it)", {}
    try:
        with duckdb.connect() as probe:
            probe.execute("ATTACH $path AS previous (READ_ONLY)", {"path": str(published)})
            (tags,) = probe.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'previous'").fetchone()
            total, free = probe.execute(
                "SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = 'previous'"
            ).fetchone()
            foreign = probe.execute(
                "SELECT count(*) FROM (SELECT schema_name FROM duckdb_tables() WHERE database_name = 'previous' "
                "AND schema_name NOT IN (SELECT unnest($schemas)) UNION ALL SELECT view_name FROM duckdb_views() "
                "WHERE database_name = 'previous' AND NOT internal)",
                {"schemas": list(PUBLISHED_SCHEMAS)},
            ).fetchone()[0]
            shapes = table_shapes(probe, "previous", probe.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'previous'").fetchall())
    except duckdb.Error as exc:
        return f"the previous file cannot be read: {_first_line(exc)}", {}
    storage = dict(tags).get("storage_version", "")
    if minimum_reader_version(storage) != minimum_reader_version(PUBLISHED_STORAGE_VERSION):
        return f"the previous file is in storage version {storage}, not {PUBLISHED_STORAGE_VERSION}", {}
    if foreign:
        return "the previous file holds objects other than the published tables", {}
    if total and free / total > MAX_FREE_SHARE:
        return f"the previous file is {free / total:.0%} free blocks: compacted by a full copy", {}
    return "", shapes


def table_shapes(con: duckdb.DuckDBPyConnection, catalog: str, tables: list[tuple[str, str]]) -> dict[str, tuple]:
    """{schema.table: (its (column, type) pairs in order, its rows)}: from the catalogue and the row
    counts DuckDB keeps, without reading the rows."""
    columns = dict(con.execute(
        "SELECT schema_name || '.' || table_name, list((column_name, data_type) ORDER BY column_index) "
        "FROM duckdb_columns() WHERE database_name = $catalog GROUP BY ALL",
        {"catalog": catalog},
    ).fetchall())
    return {
        f"{schema}.{table}": (
            tuple(map(tuple, columns[f"{schema}.{table}"])),
            con.execute(f"SELECT count(*) FROM {quote_ident(catalog)}.{quote_ident(schema)}.{quote_ident(table)}").fetchone()[0],
        )
        for schema, table in tables
    }


def copy_file(source: Path, target: Path) -> None:
    """A byte copy of `source` at `target`: a reflink (shared blocks, no data copied) on filesystems
    that clone (Btrfs, XFS), else the kernel's own copy."""
    ficlone = 0x40049409  # linux/fs.h FICLONE
    with open(source, "rb") as src, open(target, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), ficlone, src.fileno())
            return
        except OSError:
            pass
    shutil.copyfile(source, target)


# Reusing the previous file costs a copy of it and a pass over both copies of the tables that
# may be reused: below this share of the rows, writing every table is as fast (docs/operations.md,
# "Publishing", gives the figures).
MIN_KEPT_SHARE = 0.25

# A table is patched when at most this share of its rows is deleted and inserted; past it a
# rewrite does no more work (not measured: a weekly drop of `large` changes 0-3 % of each large mart).
MAX_PATCHED_SHARE = 0.5


def kept_candidates(built: dict[str, tuple], previous: dict[str, tuple]) -> tuple[tuple[str, ...], str]:
    """The tables the previous file holds with the build file's columns (kept or patched if their rows
    allow): (them, ""), or ((), why the previous file is not worth reusing)."""
    candidates = tuple(name for name, (columns, _) in built.items() if name in previous and previous[name][0] == columns)
    total = sum(rows for _, rows in built.values())
    same_columns = sum(built[name][1] for name in candidates)
    if not candidates or same_columns < MIN_KEPT_SHARE * total:
        return (), (f"{len(candidates)} of {len(built)} tables ({same_columns:,} of {total:,} rows) have the previous "
                    "file's columns: writing every table is as fast")
    return candidates, ""


@dataclass(frozen=True)
class RowComparison:
    """A table's rows in the copy against the build file's, by their 64-bit row hashes, with the
    rows that differ kept in temp tables for patch_rows: publish_gone (rowid, hash: rows of the copy
    the build file has not) and publish_added (hash: rows of the build file the copy has not)."""

    rows: int  # in the build file
    same: bool  # the same multiset of rows: nothing to do
    gone: int = 0
    added: int = 0
    # Deleting the gone rows and inserting the added ones gives the build file's multiset of rows.
    # Not so when rows repeat ({a, a, b} in the copy, {a, b, b} in the build file: nothing is gone or
    # added): such a table is written whole.
    patch_is_exact: bool = False


def _hash_figures(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    # The sum keeps duplicate rows from cancelling out in the XOR.
    return con.execute(f"SELECT count(*), coalesce(bit_xor(h), 0), coalesce(sum(h::HUGEINT), 0) FROM {table}").fetchone()


def compare_rows(con: duckdb.DuckDBPyConnection, copy_table: str, build_table: str) -> RowComparison:
    """One pass over each side: their row hashes, compared in temp tables."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE publish_old_rows AS SELECT rowid AS rid, hash(t) AS h FROM {copy_table} AS t")
    con.execute(f"CREATE OR REPLACE TEMP TABLE publish_new_rows AS SELECT hash(t) AS h FROM {build_table} AS t")
    old, new = _hash_figures(con, "publish_old_rows"), _hash_figures(con, "publish_new_rows")
    if old == new:
        return RowComparison(new[0], same=True)
    con.execute("CREATE OR REPLACE TEMP TABLE publish_gone AS SELECT rid, h FROM publish_old_rows ANTI JOIN publish_new_rows USING (h)")
    con.execute("CREATE OR REPLACE TEMP TABLE publish_added AS SELECT h FROM publish_new_rows ANTI JOIN publish_old_rows USING (h)")
    (gone, gone_xor, gone_sum), (added, added_xor, added_sum) = (
        _hash_figures(con, "publish_gone"), _hash_figures(con, "publish_added"))
    patched = (old[0] - gone + added, old[1] ^ gone_xor ^ added_xor, old[2] - gone_sum + added_sum)
    return RowComparison(new[0], same=False, gone=gone, added=added, patch_is_exact=patched == new)


def patch_rows(con: duckdb.DuckDBPyConnection, copy_table: str, build_table: str) -> int:
    """The copy's table made the build file's (after compare_rows found the patch exact): its gone rows
    deleted, the build file's added rows inserted.  Returns the rows inserted."""
    con.execute(f"DELETE FROM {copy_table} WHERE rowid IN (SELECT rid FROM publish_gone)")
    return con.execute(f"INSERT INTO {copy_table} SELECT * FROM {build_table} AS t "
                       "WHERE hash(t) IN (SELECT h FROM publish_added)").fetchone()[0]


def _start_from_previous(
    build: duckdb.DuckDBPyConnection, published: Path, staging_file: Path, candidates: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[str, tuple[int, int]], str]:
    """The previous published file copied to `staging_file` and attached as `pub`, keeping the
    `candidates` whose rows in the copy are the build file's, patching those where a few rows differ
    (compare_rows) and dropping every other table: (the tables kept, {table patched: (rows deleted,
    rows inserted)}, ""), or ((), {}, why not) with nothing attached and nothing left at `staging_file`."""
    try:
        copy_file(published, staging_file)
        # An existing file keeps its storage version (reuse_obstacle checked it is the published one).
        build.execute("ATTACH $path AS pub", {"path": str(staging_file)})
        present = build.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'pub' ORDER BY ALL"
        ).fetchall()
        catalog = quote_ident(build.execute("SELECT current_database()").fetchone()[0])
        kept: list[str] = []
        patched: dict[str, tuple[int, int]] = {}
        for name in candidates:
            schema, table = (quote_ident(part) for part in name.split(".", 1))
            copy_table, build_table = f"pub.{schema}.{table}", f"{catalog}.{schema}.{table}"
            rows = compare_rows(build, copy_table, build_table)
            if rows.same:
                kept.append(name)
            elif rows.patch_is_exact and rows.gone + rows.added <= MAX_PATCHED_SHARE * max(rows.rows, 1):
                inserted = patch_rows(build, copy_table, build_table)
                patched[name] = (rows.gone, inserted)
        for temp in ("publish_old_rows", "publish_new_rows", "publish_gone", "publish_added"):
            build.execute(f"DROP TABLE IF EXISTS {temp}")
        if not kept and not patched:
            raise _NothingToKeep("no table of the previous file has the build file's rows, or few enough changed ones")
        for schema, table in present:
            if f"{schema}.{table}" not in kept and f"{schema}.{table}" not in patched:
                build.execute(f"DROP TABLE pub.{quote_ident(schema)}.{quote_ident(table)}")
        # The dropped tables' blocks become free at a checkpoint: the new tables then reuse them
        # instead of growing the file.
        build.execute("CHECKPOINT pub")
        return tuple(kept), patched, ""
    except (duckdb.Error, OSError, _NothingToKeep) as exc:
        with contextlib.suppress(duckdb.Error):
            build.execute("DETACH DATABASE IF EXISTS pub")
        for leftover in (staging_file, staging_file.with_name(staging_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
        return (), {}, exc.args[0] if isinstance(exc, _NothingToKeep) else f"reusing the previous file failed: {_first_line(exc)}"


class _NothingToKeep(Exception):
    pass


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
    full_copy_reason, previous_shapes = reuse_obstacle(published, previous)
    kept: tuple[str, ...] = ()
    patched: dict[str, tuple[int, int]] = {}
    if not full_copy_reason:
        built = table_shapes(build, build.execute("SELECT current_database()").fetchone()[0], tables)
        candidates, full_copy_reason = kept_candidates(built, previous_shapes)
        if candidates:
            kept, patched, full_copy_reason = _start_from_previous(build, published, staging_file, candidates)
    reused = (*kept, *patched)
    if not reused:
        build.execute(f"ATTACH $path AS pub (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')", {"path": str(staging_file)})
    try:
        for schema in PUBLISHED_SCHEMAS:
            build.execute(f"CREATE SCHEMA IF NOT EXISTS pub.{quote_ident(schema)}")
        for schema, table in tables:
            name = f"{quote_ident(schema)}.{quote_ident(table)}"
            if f"{schema}.{table}" not in reused:
                build.execute(f"CREATE TABLE pub.{name} AS SELECT * FROM {name}")
            counts[f"{schema}.{table}"] = build.execute(f"SELECT count(*) FROM pub.{name}").fetchone()[0]
        # Hundreds of comments: one transaction, not one commit each (0.5 s of a medium publish).
        build.execute("BEGIN TRANSACTION")
        for schema, table in tables:
            name = f"{quote_ident(schema)}.{quote_ident(table)}"
            table_docs = (docs or {}).get(f"{schema}.{table}")
            if f"{schema}.{table}" in reused:  # its comments become the current docs, as a copy's would
                _comment(build, name, table_docs or TableDocs(""), _column_names(build, schema, table))
            elif table_docs:
                _comment(build, name, table_docs)
        build.execute("DROP TABLE IF EXISTS pub.marts.published_runs")
        build.execute(PUBLISHED_RUNS_DDL.format(db="pub"))
        runs_docs = dict(PUBLISHED_RUNS_DOCS)
        _comment(build, "marts.published_runs", TableDocs(runs_docs.pop(""), runs_docs))
        row = {"run_id": run_id, "at": published_at, "drops": drops, "latest": drops[-1] if drops else None,
               "names": list(counts), "rows": list(counts.values())}
        build.execute(f"INSERT INTO pub.marts.published_runs SELECT * FROM {OPS_SCHEMA}.published_runs")
        build.execute("INSERT INTO pub.marts.published_runs VALUES ($run_id, $at, $drops, $latest, MAP($names, $rows))", row)
        build.execute("COMMIT")
        build.execute("DETACH pub")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            build.execute("ROLLBACK")
        with contextlib.suppress(duckdb.Error):
            build.execute("DETACH DATABASE IF EXISTS pub")
        remove_leftovers(published)
        raise
    _fsync(staging_file)
    if previous.state == "damaged":
        previous = keep_aside(published, previous)
    stale_wal = _set_aside_wal(published)
    os.replace(staging_file, published)  # the atomic step
    _fsync(published.parent)
    build.execute(f"INSERT INTO {OPS_SCHEMA}.published_runs VALUES ($run_id, $at, $drops, $latest, MAP($names, $rows))", row)
    copied = tuple(name for name in counts if name not in reused)
    return Publication(published, run_id, counts, drops, previous, tuple(leftovers), copied, kept, patched,
                       full_copy_reason, stale_wal)


def _set_aside_wal(published: Path) -> Path | None:
    """Move a write-ahead log the previous file left (a client wrote to it and did not checkpoint)
    out of the new file's way: DuckDB would replay the old file's changes into the new one."""
    wal = published.with_name(published.name + ".wal")
    if not wal.exists():
        return None
    aside = published.with_name(f"{published.name}.wal.stale-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}")
    os.replace(wal, aside)
    return aside


def _column_names(build: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[str, ...]:
    return tuple(r[0] for r in build.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'pub' AND schema_name = $schema "
        "AND table_name = $table ORDER BY column_index", {"schema": schema, "table": table}).fetchall())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
