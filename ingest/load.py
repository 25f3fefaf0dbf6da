"""Loading export drops into the DuckDB tables raw.<kind>.

Bulk data never passes through Python: DuckDB reads each file (read_csv with every
column as text, or read_parquet) into a temporary table, the contract's types are
checked and cast in SQL, and the typed rows are appended to raw.<kind> together with
the drop, file and line they came from.  One file is one transaction: a file that
breaks the contract loads nothing, and the error names the file, the column, the
line and what was expected.  raw.load_log records every file loaded (with its
sha256), so loading the same drop again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.contract import KINDS, LINEAGE_COLUMNS, TYPE_EXPECTATIONS, Column, FileKind
from ingest.drops import DropFile, find_files, sha256_of

STAGE = "_funnelcast_stage"  # temp table holding one file's rows as text


class ContractError(Exception):
    """A file that breaks the export contract.  The message says what to fix."""


@dataclass
class FileLoad:
    drop: str
    file: str
    rows: int
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
    def files_loaded(self) -> int:
        return sum(1 for f in self.files if not f.skipped)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ----------------------------------------------------------------------------- schema


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, the load log and an (empty) table for every file kind.

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
            PRIMARY KEY (drop_name, file_name)
        )
        """
    )
    for kind in KINDS.values():
        cols = [f"{quote_ident(c.name)} {c.duckdb_type}" for c in kind.columns]
        cols += [f"{name} {dtype}" for name, dtype in LINEAGE_COLUMNS.items()]
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{kind.name} ({', '.join(cols)})")


# ----------------------------------------------------------------------------- reading


def _read_into_stage(con: duckdb.DuckDBPyConnection, df: DropFile) -> None:
    """Materialise one file as text columns plus its line number.

    The rows go into a real temporary table before any cast: DuckDB pushes casts in a
    query down into the CSV reader, which would turn TRY_CAST into a hard failure.
    """
    # The path comes from the landing folder: bound as a parameter, never spliced into SQL.
    params = {"path": str(df.path)}
    con.execute(f"DROP TABLE IF EXISTS {STAGE}")
    if df.is_parquet:
        rel = con.execute("SELECT * FROM read_parquet($path, file_row_number = true) LIMIT 0", params)
        cols = [d[0] for d in rel.description if d[0] != "file_row_number"]
        as_text = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in cols)
        con.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT {as_text}, file_row_number + 1 AS _line "
            "FROM read_parquet($path, file_row_number = true)",
            params,
        )
        return
    # The contract's dialect, stated rather than sniffed: a file in another dialect
    # must fail loudly, not be read as something else.  Header = line 1.
    con.execute(
        f"""
        CREATE TEMP TABLE {STAGE} AS
        SELECT *, row_number() OVER () + 1 AS _line
        FROM read_csv($path, header = true, all_varchar = true, delim = ',', quote = '"',
                      escape = '"')
        """,
        params,
    )


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


def _first_bad_value(con: duckdb.DuckDBPyConnection, df: DropFile, kind: FileKind, mapping: dict[str, str]) -> None:
    """Raise ContractError for the first value (by line) that does not parse as its column's type."""
    checks: list[tuple[Column, str]] = []
    for col in kind.columns:
        if col.name not in mapping:
            continue
        src = quote_ident(mapping[col.name])
        if col.name in kind.key and col.required:
            checks.append((col, f"{src} IS NULL OR trim({src}) = ''"))
        if col.type != "text":
            checks.append((col, f"({src} IS NOT NULL AND trim({src}) <> '' AND {_typed_expr(col, mapping[col.name])} IS NULL)"))
    if not checks:
        return
    selects = ", ".join(f"min(CASE WHEN {cond} THEN _line END)" for _, cond in checks)
    first_lines = con.execute(f"SELECT {selects} FROM {STAGE}").fetchone()
    bad = [(line, col) for (col, _), line in zip(checks, first_lines) if line is not None]
    if not bad:
        return
    line, col = min(bad, key=lambda b: b[0])
    value = con.execute(
        f"SELECT {quote_ident(mapping[col.name])} FROM {STAGE} WHERE _line = ?", [line]
    ).fetchone()[0]
    if value is None or str(value).strip() == "":
        what = f"is empty; {col.name} is part of the record key ({', '.join(kind.key)}) and must be set"
    else:
        what = f"value {value!r} is not {TYPE_EXPECTATIONS[col.type]} (contract type {col.type})"
    raise ContractError(f"{df.label}: line {line}, column {col.name}: {what}. Nothing from this file was loaded.")


def load_file(con: duckdb.DuckDBPyConnection, df: DropFile, sha256: str) -> int:
    """Load one file in one transaction; returns the rows loaded.  Raises ContractError."""
    kind = KINDS[df.kind]
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            _read_into_stage(con, df)
        except duckdb.Error as exc:
            raise ContractError(f"{df.label}: DuckDB could not read the file: {_first_lines(exc)}. Nothing from this file was loaded.") from exc
        mapping, extras = _map_columns(con, df, kind)
        _first_bad_value(con, df, kind, mapping)
        for extra in extras:
            # Unknown columns are kept in raw (as text) and ignored downstream.
            con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS {quote_ident(extra.strip().lower())} VARCHAR")
        targets = [quote_ident(c) for c in mapping] + [quote_ident(e.strip().lower()) for e in extras]
        values = [f"{_typed_expr(kind.column(c), src)}" for c, src in mapping.items()] + [quote_ident(e) for e in extras]
        con.execute(
            f"""
            INSERT INTO raw.{kind.name} ({', '.join(targets)}, _drop, _file, _line, _loaded_at)
            SELECT {', '.join(values)}, ?, ?, _line, timezone('UTC', now()) FROM {STAGE}
            """,
            [df.drop, df.file_name],
        )
        rows = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        con.execute(
            "INSERT INTO raw.load_log VALUES (?, ?, ?, ?, ?, timezone('UTC', now()))",
            [df.drop, df.file_name, df.kind, sha256, rows],
        )
        con.execute(f"DROP TABLE {STAGE}")
        con.execute("COMMIT")
        return rows
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _first_lines(exc: Exception, n: int = 3) -> str:
    return " / ".join(line.strip() for line in str(exc).splitlines()[:n] if line.strip())


def load_kind(con: duckdb.DuckDBPyConnection, landing: Path, kind: str) -> KindLoad:
    """Load every not-yet-loaded file of one kind from every drop.

    A file that breaks the contract is skipped whole and its error collected; the
    caller decides to fail (the Dagster asset does, after the good files are in).
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
            rows = load_file(con, df, sha)
        except ContractError as exc:
            result.errors.append(str(exc))
            continue
        result.files.append(FileLoad(df.drop, df.file_name, rows))
    return result
