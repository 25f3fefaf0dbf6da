"""Loading export drops into the DuckDB tables raw.<kind>.

Bulk data never passes through Python: DuckDB reads each file (read_csv with every
column as text, or read_parquet) into a temporary table, the contract's types are
checked and cast in SQL, and the typed rows are appended to raw.<kind> together with
the drop, file and line they came from.  raw.load_log records every file loaded
(with its sha256), so loading the same drop again adds nothing.

Bad input loses nothing.  A row that breaks the contract (a value that does not
parse as its type, an empty record key, a line with too many or too few fields, bytes
that are not UTF-8) is *quarantined*: kept in raw.rejected_rows with its drop, file,
line, column, raw value and the reason, while the file's good rows load.  A file that
is unusable as a whole (empty, a required column missing, another delimiter, or more
rejected rows than max_rejected_share allows) loads nothing, and the error names the
file, the column, the line and what was expected.  With on_bad_rows = "fail" any bad
row makes the whole file fail that way.  For every file, rows read = rows loaded +
rows rejected (recorded in the load log, checked on every run).
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.contract import KINDS, LINEAGE_COLUMNS, TYPE_EXPECTATIONS, Column, FileKind
from ingest.drops import DropFile, find_files, sha256_of

STAGE = "_funnelcast_stage"  # temp table holding one file's rows as text
READER_REJECTS = "_funnelcast_reader_rejects"  # rows DuckDB's CSV reader could not split
READER_REJECT_SCANS = "_funnelcast_reader_reject_scans"


class ContractError(Exception):
    """A file that breaks the export contract.  The message says what to fix."""


@dataclass(frozen=True)
class RejectPolicy:
    """What to do with rows that break the contract (settings on_bad_rows, max_rejected_share)."""

    on_bad_rows: str = "quarantine"  # or "fail": any bad row fails the whole file
    max_rejected_share: float = 0.05  # above this share of a file's rows, the file is unusable

    def __post_init__(self) -> None:
        if self.on_bad_rows not in ("quarantine", "fail"):
            raise ValueError(f"on_bad_rows must be quarantine or fail, got {self.on_bad_rows!r}")
        if not 0 <= self.max_rejected_share <= 1:
            raise ValueError(f"max_rejected_share must be between 0 and 1, got {self.max_rejected_share}")


@dataclass
class FileLoad:
    drop: str
    file: str
    rows: int
    rejected: int = 0
    skipped: bool = False  # already loaded with the same checksum


@dataclass
class KindLoad:
    kind: str
    files: list[FileLoad] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows for f in self.files if not f.skipped)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rejected for f in self.files if not f.skipped)

    @property
    def files_loaded(self) -> int:
        return sum(1 for f in self.files if not f.skipped)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ----------------------------------------------------------------------------- schema


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, the load log, the quarantine and an (empty) table for every file kind.

    An optional file that no drop has still gets its table, so dbt sources resolve.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS raw.load_log (
            drop_name VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            rows_loaded BIGINT NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            rows_read BIGINT,
            rows_rejected BIGINT DEFAULT 0,
            PRIMARY KEY (drop_name, file_name)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS raw.rejected_rows (
            drop_name VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            line BIGINT,              -- where the record starts in the file (header = 1)
            column_name VARCHAR,      -- null when the row as a whole is bad
            raw_value VARCHAR,        -- the offending value, or the whole line as read
            reason VARCHAR NOT NULL,
            raw_record JSON,          -- every field of the row, as text, when it could be split
            rejected_at TIMESTAMP NOT NULL
        )
        """
    )
    for kind in KINDS.values():
        cols = [f"{quote_ident(c.name)} {c.duckdb_type}" for c in kind.columns]
        cols += [f"{name} {dtype}" for name, dtype in LINEAGE_COLUMNS.items()]
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{kind.name} ({', '.join(cols)})")


# ----------------------------------------------------------------------------- reading


def read_csv_header(df: DropFile) -> list[str]:
    """The header row, read by Python: only the first line, to tell DuckDB the columns.

    DuckDB's dialect sniffer gives up on a file with one malformed row; with the
    columns stated it reads the good rows and reports each bad one instead.
    """
    opener = gzip.open if df.path.name.lower().endswith(".gz") else open
    try:
        with opener(df.path, "rb") as f:
            first = f.readline()
    except (OSError, EOFError) as exc:
        raise ContractError(f"{df.label}: the file cannot be read ({exc}). Nothing from this file was loaded.") from exc
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"{df.label}: line 1 (header): bytes that are not UTF-8 at position {exc.start}; the contract's files are "
            "UTF-8 (with or without BOM). Re-export as UTF-8. Nothing from this file was loaded."
        ) from exc
    header = next(csv.reader(io.StringIO(text)), [])
    if not header or header == [""]:
        raise ContractError(f"{df.label}: the file is empty; expected a header row. Nothing from this file was loaded.")
    return [h.strip() for h in header]


def _read_into_stage(con: duckdb.DuckDBPyConnection, df: DropFile, header: list[str] | None) -> None:
    """Materialise one file as text columns, numbered by line, and its unreadable rows.

    The rows go into a real temporary table before any cast: DuckDB pushes casts in a
    query down into the CSV reader, which would turn TRY_CAST into a hard failure.
    """
    # The path comes from the landing folder: bound as a parameter, never spliced into SQL.
    params: dict[str, object] = {"path": str(df.path)}
    con.execute(f"DROP TABLE IF EXISTS {STAGE}")
    con.execute(f"DROP TABLE IF EXISTS {READER_REJECTS}")
    con.execute(f"DROP TABLE IF EXISTS {READER_REJECT_SCANS}")
    if header is None:  # parquet: typed by its writer, every row readable
        rel = con.execute("SELECT * FROM read_parquet($path, file_row_number = true) LIMIT 0", params)
        cols = [d[0] for d in rel.description if d[0] != "file_row_number"]
        as_text = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in cols)
        con.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT {as_text}, file_row_number + 1 AS _line "
            "FROM read_parquet($path, file_row_number = true)",
            params,
        )
        con.execute(f"CREATE TEMP TABLE {READER_REJECTS} (line BIGINT, column_name VARCHAR, error_type VARCHAR, csv_line VARCHAR, error_message VARCHAR)")
        return
    # The contract's dialect, stated rather than sniffed: a file in another dialect
    # fails on its header instead of being read as something else.
    params["columns"] = {name: "VARCHAR" for name in header}
    con.execute(
        f"""
        CREATE TEMP TABLE {STAGE} AS
        SELECT *, row_number() OVER () AS _row
        FROM read_csv($path, auto_detect = false, header = true, columns = $columns,
                      delim = ',', quote = '"', escape = '"',
                      store_rejects = true, rejects_table = '{READER_REJECTS}', rejects_scan = '{READER_REJECT_SCANS}')
        """,
        params,
    )
    # The reader skips the rows it rejects, so a row's position is not its line: the
    # line is its position + the header + the rejected records before it.
    con.execute(f"ALTER TABLE {STAGE} ADD COLUMN _line BIGINT")
    con.execute(
        f"""
        UPDATE {STAGE} SET _line = _row + 1 + (
            SELECT count(*) FROM (
                SELECT line, row_number() OVER (ORDER BY line) AS nth
                FROM (SELECT DISTINCT line FROM {READER_REJECTS})
            ) AS rejected
            WHERE rejected.line - rejected.nth - 1 < {STAGE}._row
        )
        """
    )
    con.execute(f"ALTER TABLE {STAGE} DROP COLUMN _row")


def _typed_expr(col: Column, source: str) -> str:
    """SQL turning the text column `source` into the contract type (NULL when it does not parse)."""
    s = quote_ident(source)
    if col.type == "text":
        return s
    if col.type == "timestamp":
        # An offset in the value is honoured; a value without one is UTC.
        return f"timezone('UTC', TRY_CAST(trim({s}) AS TIMESTAMPTZ))"
    if col.type == "bool":
        return (
            f"CASE lower(trim({s})) WHEN '1' THEN true WHEN 'true' THEN true "
            f"WHEN '0' THEN false WHEN 'false' THEN false END"
        )
    return f"TRY_CAST(trim({s}) AS {col.duckdb_type})"


def _map_columns(con: duckdb.DuckDBPyConnection, df: DropFile, kind: FileKind) -> tuple[dict[str, str], list[str]]:
    """Match the file's header to the contract: {contract column: file column}, extras."""
    header = [c for c in con.sql(f"SELECT * FROM {STAGE} LIMIT 0").columns if c != "_line"]
    if not header or header == ["column0"]:
        raise ContractError(f"{df.label}: the file is empty; expected a header row with the columns {', '.join(kind.required_columns)}")
    by_lower: dict[str, str] = {}
    for name in header:
        key = name.strip().lower()
        if key in by_lower:
            raise ContractError(f"{df.label}: line 1: column {key!r} appears twice in the header")
        by_lower[key] = name
    missing = [c for c in kind.required_columns if c not in by_lower]
    if missing:
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            hint = " The header looks like it uses another delimiter: the contract's CSV files are comma-separated."
        raise ContractError(
            f"{df.label}: line 1 (header): required column(s) {', '.join(missing)} missing; "
            f"found {', '.join(header)}.{hint} Nothing from this file was loaded."
        )
    mapping = {c.name: by_lower[c.name] for c in kind.columns if c.name in by_lower}
    extras = [orig for low, orig in by_lower.items() if low not in kind.column_names]
    clash = [e for e in extras if e.strip().lower() in LINEAGE_COLUMNS]
    if clash:
        raise ContractError(f"{df.label}: line 1: column(s) {', '.join(clash)} clash with the loader's lineage columns")
    return mapping, extras


PROBLEMS = "_funnelcast_problems"  # temp table: every bad row of the file being loaded


def _collect_problems(con: duckdb.DuckDBPyConnection, kind: FileKind, mapping: dict[str, str]) -> None:
    """Every row the reader could not split, and every value that breaks its column's type."""
    con.execute(f"DROP TABLE IF EXISTS {PROBLEMS}")
    con.execute(
        f"""
        CREATE TEMP TABLE {PROBLEMS} AS
        SELECT line, column_name, csv_line AS raw_value,
               error_type || ': ' || error_message AS reason, CAST(NULL AS JSON) AS raw_record
        FROM {READER_REJECTS}
        """
    )
    for col in kind.columns:
        if col.name not in mapping:
            continue
        src = quote_ident(mapping[col.name])
        if col.name in kind.key and col.required:
            reason = f"empty, but {col.name} is part of the record key ({', '.join(kind.key)}) and must be set"
            con.execute(
                f"INSERT INTO {PROBLEMS} SELECT _line, $col, {src}, $reason, to_json(s) FROM {STAGE} s "
                f"WHERE {src} IS NULL OR trim({src}) = ''",
                {"col": col.name, "reason": reason},
            )
        if col.type != "text":
            reason = f"not {TYPE_EXPECTATIONS[col.type]} (contract type {col.type})"
            con.execute(
                f"INSERT INTO {PROBLEMS} SELECT _line, $col, {src}, $reason, to_json(s) FROM {STAGE} s "
                f"WHERE {src} IS NOT NULL AND trim({src}) <> '' AND {_typed_expr(col, mapping[col.name])} IS NULL",
                {"col": col.name, "reason": reason},
            )


def _problem_message(con: duckdb.DuckDBPyConnection, df: DropFile) -> str:
    """The first problem by line, as a sentence naming file, line, column, value and reason."""
    line, column, value, reason = con.execute(
        f"SELECT line, column_name, raw_value, reason FROM {PROBLEMS} ORDER BY line, column_name NULLS FIRST LIMIT 1"
    ).fetchone()
    where = f"line {line}" + (f", column {column}" if column else "")
    shown = (value or "").strip()
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return f"{df.label}: {where}: value {shown!r} is {reason}" if column else f"{df.label}: {where}: {reason} ({shown!r})"


def load_file(con: duckdb.DuckDBPyConnection, df: DropFile, sha256: str, policy: RejectPolicy = RejectPolicy()) -> FileLoad:
    """Load one file in one transaction: good rows to raw.<kind>, bad ones to raw.rejected_rows.

    Raises ContractError, having loaded nothing, when the file is unusable.
    """
    kind = KINDS[df.kind]
    header = None if df.is_parquet else read_csv_header(df)
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            _read_into_stage(con, df, header)
        except duckdb.Error as exc:
            raise ContractError(f"{df.label}: DuckDB could not read the file: {_first_lines(exc)}. Nothing from this file was loaded.") from exc
        mapping, extras = _map_columns(con, df, kind)
        _collect_problems(con, kind, mapping)
        staged = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        unreadable = con.execute(f"SELECT count(DISTINCT line) FROM {READER_REJECTS}").fetchone()[0]
        rows_read = staged + unreadable
        rejected = con.execute(f"SELECT count(DISTINCT line) FROM {PROBLEMS}").fetchone()[0]
        if rejected and policy.on_bad_rows == "fail":
            raise ContractError(f"{_problem_message(con, df)}. Nothing from this file was loaded.")
        if rejected > policy.max_rejected_share * rows_read:
            raise ContractError(
                f"{_problem_message(con, df)}. {rejected} of {rows_read} rows break the contract, more than "
                f"max_rejected_share ({policy.max_rejected_share:.0%}): the file looks unusable. "
                "Nothing from this file was loaded."
            )
        for extra in extras:
            # Unknown columns are kept in raw (as text) and ignored downstream.
            con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS {quote_ident(extra.strip().lower())} VARCHAR")
        targets = [quote_ident(c) for c in mapping] + [quote_ident(e.strip().lower()) for e in extras]
        values = [f"{_typed_expr(kind.column(c), src)}" for c, src in mapping.items()] + [quote_ident(e) for e in extras]
        file_params = {"drop": df.drop, "file": df.file_name, "kind": df.kind}
        con.execute(
            f"""
            INSERT INTO raw.{kind.name} ({', '.join(targets)}, _drop, _file, _line, _loaded_at)
            SELECT {', '.join(values)}, $drop, $file, _line, timezone('UTC', now()) FROM {STAGE}
            WHERE _line NOT IN (SELECT line FROM {PROBLEMS})
            """,
            {"drop": df.drop, "file": df.file_name},
        )
        con.execute(
            f"""
            INSERT INTO raw.rejected_rows
            SELECT $drop, $file, $kind, line, column_name, raw_value, reason, raw_record, timezone('UTC', now())
            FROM {PROBLEMS} ORDER BY line, column_name
            """,
            file_params,
        )
        loaded = rows_read - rejected
        con.execute(
            "INSERT INTO raw.load_log (drop_name, file_name, kind, sha256, rows_loaded, loaded_at, rows_read, rows_rejected) "
            "VALUES ($drop, $file, $kind, $sha, $loaded, timezone('UTC', now()), $read, $rejected)",
            {**file_params, "sha": sha256, "loaded": loaded, "read": rows_read, "rejected": rejected},
        )
        for table in (STAGE, READER_REJECTS, READER_REJECT_SCANS, PROBLEMS):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("COMMIT")
        return FileLoad(df.drop, df.file_name, loaded, rejected)
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _first_lines(exc: Exception, n: int = 3) -> str:
    return " / ".join(line.strip() for line in str(exc).splitlines()[:n] if line.strip())


def load_kind(
    con: duckdb.DuckDBPyConnection, landing: Path, kind: str, policy: RejectPolicy = RejectPolicy()
) -> KindLoad:
    """Load every not-yet-loaded file of one kind from every drop.

    A file that is unusable is skipped whole and its error collected; the caller
    decides to fail (the Dagster asset does, after the good files are in).
    """
    con.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(con)
    result = KindLoad(kind)
    loaded = {
        (d, f): sha
        for d, f, sha in con.execute("SELECT drop_name, file_name, sha256 FROM raw.load_log WHERE kind = ?", [kind]).fetchall()
    }
    for df in find_files(landing, kind):
        try:
            sha = sha256_of(df.path)
        except FileNotFoundError:
            result.errors.append(f"{df.label}: the file disappeared while it was being loaded; it will be loaded by the next run.")
            continue
        previous = loaded.get((df.drop, df.file_name))
        if previous == sha:
            result.files.append(FileLoad(df.drop, df.file_name, 0, skipped=True))
            continue
        if previous is not None:
            result.errors.append(
                f"{df.label}: this file changed after it was loaded (sha256 {previous[:12]}... then {sha[:12]}...). "
                "Drops are immutable: put corrections in a new drop."
            )
            continue
        try:
            result.files.append(load_file(con, df, sha, policy))
        except ContractError as exc:
            result.errors.append(str(exc))
        except FileNotFoundError:
            result.errors.append(f"{df.label}: the file disappeared while it was being loaded; it will be loaded by the next run.")
    return result
