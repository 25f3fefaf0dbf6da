"""Taking a drop back: `funnelcast drop retract <drop>` and what the runs do about it.

A retraction removes every row the drop put in the build file (raw.<kind>,
raw.load_log, raw.rejected_rows) in one transaction and records it in
ops.retracted_drops.  The record is what keeps the drop out afterwards: its folder
may stay in the landing folder (the landing folder is the exporter's, and a sync
would bring a moved folder back), and neither the sensor nor a run loads a
retracted folder again.  Corrected files go in a new drop, as always; `funnelcast
drop restore <drop>` forgets the retraction and the next run loads the folder again.

The next dbt build after a retraction is a full refresh (`rebuilt_by_run` is null
until one succeeded): fct_pipeline_weekly is incremental, and a full rebuild is the
one way its rows certainly equal a clean run's without the drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.atomic_publish import OPS_SCHEMA

RETRACTED_DDL = f"""
CREATE TABLE IF NOT EXISTS {OPS_SCHEMA}.retracted_drops (
    drop_name VARCHAR PRIMARY KEY,
    retracted_at TIMESTAMP NOT NULL,
    rows_removed MAP(VARCHAR, BIGINT) NOT NULL,   -- raw.<kind>, raw.load_log, raw.rejected_rows -> rows
    files VARCHAR[] NOT NULL,                     -- the files the load log had for it
    rebuilt_by_run VARCHAR                        -- the run whose full dbt rebuild left it out; null until then
)
"""


class RetractError(Exception):
    """The drop cannot be retracted (unknown, say); the message says why."""


@dataclass(frozen=True)
class Retraction:
    drop: str
    removed: dict[str, int]  # table -> rows removed
    files: list[str]
    already: bool = False

    @property
    def raw_rows(self) -> int:
        return sum(n for t, n in self.removed.items() if t not in ("raw.load_log", "raw.rejected_rows"))


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $s "
        "AND table_name = $t", {"s": schema, "t": table},
    ).fetchone()[0])


def ensure_retractions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {OPS_SCHEMA}")
    con.execute(RETRACTED_DDL)


def retracted(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Every retracted drop: name -> {retracted_at, rows_removed, files, rebuilt_by_run}."""
    if not _has_table(con, OPS_SCHEMA, "retracted_drops"):
        return {}
    rows = con.execute(
        f"SELECT drop_name, retracted_at, map_keys(rows_removed), map_values(rows_removed), files, rebuilt_by_run "
        f"FROM {OPS_SCHEMA}.retracted_drops ORDER BY drop_name"
    ).fetchall()
    return {name: {"retracted_at": at, "rows_removed": dict(zip(keys, values)), "files": files, "rebuilt_by_run": run}
            for name, at, keys, values, files, run in rows}


def raw_tables_with_drops(con: duckdb.DuckDBPyConnection) -> list[str]:
    """raw.<kind> tables: every raw table with the loader's _drop column."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'raw' "
        "AND column_name = '_drop' ORDER BY 1"
    ).fetchall()]


def retract(con: duckdb.DuckDBPyConnection, drop: str, landed: list[str]) -> Retraction:
    """Remove every row of `drop` from the raw layer and record the retraction, in one transaction."""
    known = retracted(con)
    if drop in known:
        return Retraction(drop, known[drop]["rows_removed"], known[drop]["files"], already=True)
    has_raw = _has_table(con, "raw", "load_log")
    in_log = has_raw and con.execute("SELECT count(*) FROM raw.load_log WHERE drop_name = $d", {"d": drop}).fetchone()[0]
    if not in_log and drop not in landed:
        loaded = [r[0] for r in con.execute("SELECT DISTINCT drop_name FROM raw.load_log ORDER BY 1").fetchall()] \
            if has_raw else []
        names = sorted(set(loaded) | set(landed))
        raise RetractError(f"no drop named {drop!r}: it is neither in the load log nor in the landing folder. "
                           f"Drops: {', '.join(names) if names else 'none'} (`funnelcast drop list`).")
    removed: dict[str, int] = {}
    files: list[str] = []
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_retractions(con)
        if has_raw:
            files = [r[0] for r in con.execute(
                "SELECT DISTINCT file_name FROM raw.load_log WHERE drop_name = $d ORDER BY 1", {"d": drop}).fetchall()]
            for table in raw_tables_with_drops(con):
                n = con.execute(f'DELETE FROM raw."{table}" WHERE _drop = $d', {"d": drop}).fetchone()[0]
                if n:
                    removed[f"raw.{table}"] = n
            for table in ("load_log", "rejected_rows"):
                if _has_table(con, "raw", table):
                    n = con.execute(f"DELETE FROM raw.{table} WHERE drop_name = $d", {"d": drop}).fetchone()[0]
                    if n:
                        removed[f"raw.{table}"] = n
        con.execute(
            f"INSERT INTO {OPS_SCHEMA}.retracted_drops VALUES ($d, timezone('UTC', now()), MAP($t, $n), $f, NULL)",
            {"d": drop, "t": list(removed), "n": list(removed.values()), "f": files},
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Retraction(drop, removed, files)


def restore(con: duckdb.DuckDBPyConnection, drop: str) -> bool:
    """Forget a retraction: the next run loads the drop's folder again.  False if it was not retracted."""
    if drop not in retracted(con):
        return False
    con.execute(f"DELETE FROM {OPS_SCHEMA}.retracted_drops WHERE drop_name = $d", {"d": drop})
    return True


def needs_full_refresh(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Retracted drops no successful dbt build has rebuilt the marts without yet."""
    return sorted(d for d, r in retracted(con).items() if r["rebuilt_by_run"] is None)


def mark_rebuilt(con: duckdb.DuckDBPyConnection, drops: list[str], run_id: str) -> None:
    if drops:
        con.execute(f"UPDATE {OPS_SCHEMA}.retracted_drops SET rebuilt_by_run = $r WHERE list_contains($d, drop_name)",
                    {"r": run_id, "d": drops})


def describe_removed(r: Retraction) -> str:
    parts = [f"{t.removeprefix('raw.')} {n:,}"
             for t, n in sorted(r.removed.items()) if t not in ("raw.load_log", "raw.rejected_rows")]
    log = r.removed.get("raw.load_log", 0)
    quarantined = r.removed.get("raw.rejected_rows", 0)
    return (f"{r.raw_rows:,} raw rows ({', '.join(parts) if parts else 'none'}), {log} load-log entr"
            f"{'y' if log == 1 else 'ies'}, {quarantined:,} quarantined row{'' if quarantined == 1 else 's'}")


def format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "?"
