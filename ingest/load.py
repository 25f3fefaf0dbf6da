"""Loading export drops into the DuckDB tables raw.<kind>.

Bulk data never passes through Python: DuckDB reads each file (read_csv with every
column as text, or read_parquet) into a temporary table, the contract's types are
checked and cast in SQL, and the typed rows are appended to raw.<kind> together with
the drop, file and line they came from.  raw.load_log records every file loaded
(with its sha256), so loading the same drop again adds nothing.

Before a row is used, the file's integrity is checked: a `.csv.gz` is decompressed in
full by Python's gzip module (its CRC and length checked), a parquet file's footer is
checked against the rows DuckDB decodes, and a CSV's records are counted a second way,
independently of DuckDB's CSV parser: DuckDB reads the file as raw lines, and SQL
follows the quotes from line to line to find where each record starts.  That count
must equal the parser's (rows loaded + rows rejected), and it gives every row its file
line (where the record starts), also after values that span lines.

Bad input loses nothing.  A row that breaks the contract (a value that does not
parse as its type, an implausible timestamp, an empty record key, a line with too many
or too few fields, bytes that are not UTF-8) is *quarantined*: kept in raw.rejected_rows
with its drop, file, line, column, raw value and the reason, while the file's good rows
load.  A file that is unusable as a whole (corrupt, empty, a required column missing,
another delimiter, a quote never closed, or more rejected rows than max_rejected_share
allows) loads nothing, and the error names the file, the column, the line and what was
expected.  With on_bad_rows = "fail" any bad row makes the whole file fail that way.
For every file, rows read = rows loaded + rows rejected (recorded in the load log,
checked on every run).
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from ingest.contract import KINDS, LINEAGE_COLUMNS, Column, FileKind
from ingest.drops import DEFAULT_DROP_PATTERN, DropFile, find_files, misnamed_drops, sha256_of
from ingest.mapping import ColumnSpec, KindMapping, Mapping, identity_mapping, scalar_text, template_fields
from ingest.parsers import PARSER_OPTIONS, expectation, rounding_loss, suggestion, typed_expr
from ingest.sql_text import quote_ident, sql_literal

STAGE = "_funnelcast_stage"  # temp table holding one file's rows as text
STAGE_READ = "_funnelcast_stage_read"  # the rows as DuckDB's CSV reader returned them, before their lines are known
READER_REJECTS = "_funnelcast_reader_rejects"  # rows DuckDB's CSV reader could not split
READER_REJECT_SCANS = "_funnelcast_reader_reject_scans"
UNSPLIT = "_funnelcast_unsplit"  # the reader's rejects, by file line and header column name
LINES = "_funnelcast_lines"  # the file's physical lines: quote state at their start and end
RECORDS = "_funnelcast_records"  # where each record starts, numbered as DuckDB's reader numbers them
DATA_LINES = "_funnelcast_data_lines"
# The second count reads lines it does not keep: far longer ones than the parser's limit,
# so that a record over csv_max_record_bytes is quarantined by the parser, not lost here.
# Its buffer is that size too: DuckDB's default (16 lines) reserves 16 GiB, past any memory_limit that fits a laptop.
RAW_LINE_LIMIT = 1 << 30

# Columns the loader adds to raw rows: an export's extra column of such a name would
# overwrite the row's provenance (or the mapped record).
RESERVED_COLUMNS = (*LINEAGE_COLUMNS, "_source_record")


class ContractError(Exception):
    """A file that breaks the export contract.  The message says what to fix."""


@dataclass(frozen=True)
class RejectPolicy:
    """What the loader accepts beyond the contract's types, from the settings: what to do with
    rows that break the contract (on_bad_rows, max_rejected_share), the plausible window of
    timestamps, the longest CSV record, and the drop folder names."""

    on_bad_rows: str = "quarantine"  # or "fail": any bad row fails the whole file
    max_rejected_share: float = 0.05  # above this share of a file's rows, the file is unusable
    timestamp_earliest: date = date(1990, 1, 1)
    timestamp_max_days_ahead: int = 366  # after the load
    csv_max_record_bytes: int = 64 * 1024 * 1024
    drop_name_pattern: str = DEFAULT_DROP_PATTERN

    def __post_init__(self) -> None:
        if self.on_bad_rows not in ("quarantine", "fail"):
            raise ValueError(f"on_bad_rows must be quarantine or fail, got {self.on_bad_rows!r}")
        if not 0 <= self.max_rejected_share <= 1:
            raise ValueError(f"max_rejected_share must be between 0 and 1, got {self.max_rejected_share}")

    def timestamp_latest(self) -> datetime:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        return now + timedelta(days=self.timestamp_max_days_ahead)


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
            rows_derived BIGINT,      -- rows written to raw.<kind>: rows_loaded, or more when a mapping unpivots
            mapping VARCHAR,          -- the mapping the file was read with
            PRIMARY KEY (drop_name, file_name, kind)
        )
        """
    )
    _migrate_load_log(con)
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
        for name, dtype in LINEAGE_COLUMNS.items():  # a build file from before a lineage column existed
            con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS {name} {dtype}")
    # A build file from before decimals kept 12 places (DECIMAL(24,6)): widen its columns, or
    # every later rate would still be cut to 6 places on insert.  Rows loaded before keep
    # their cut values; retracting and reloading their drops restores them.
    stored = {(t, c): d for t, c, d in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'raw'").fetchall()}
    for kind in KINDS.values():
        for col in kind.columns:
            current = stored.get((kind.name, col.name))
            if current and current.replace(" ", "").upper() != col.duckdb_type.replace(" ", "").upper() and col.type == "decimal":
                con.execute(f"ALTER TABLE raw.{kind.name} ALTER COLUMN {quote_ident(col.name)} TYPE {col.duckdb_type}")


def _migrate_load_log(con: duckdb.DuckDBPyConnection) -> None:
    """A load log from before one file could feed several kinds: key it by kind too."""
    key = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() WHERE schema_name = 'raw' "
        "AND table_name = 'load_log' AND constraint_type = 'PRIMARY KEY'"
    ).fetchone()
    if key and "kind" in key[0]:
        return
    con.execute("ALTER TABLE raw.load_log RENAME TO load_log_before_mappings")
    con.execute(
        """
        CREATE TABLE raw.load_log (
            drop_name VARCHAR NOT NULL, file_name VARCHAR NOT NULL, kind VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
            rows_loaded BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL, rows_read BIGINT, rows_rejected BIGINT DEFAULT 0,
            rows_derived BIGINT, mapping VARCHAR, PRIMARY KEY (drop_name, file_name, kind)
        )
        """
    )
    con.execute(
        "INSERT INTO raw.load_log SELECT drop_name, file_name, kind, sha256, rows_loaded, loaded_at, rows_read, "
        "rows_rejected, rows_loaded, 'sugarcrm' FROM raw.load_log_before_mappings"
    )
    con.execute("DROP TABLE raw.load_log_before_mappings")

# ----------------------------------------------------------------------------- integrity

CHUNK = 1 << 20
_BARE_CR = re.compile(rb"\r(?!\n)")


def _is_gzip(df: DropFile) -> bool:
    return df.path.name.lower().endswith(".gz")


def verify_integrity(df: DropFile) -> None:
    """Check the file's own integrity before any of its rows is used; raise ContractError if it fails.

    A `.gz` file is decompressed to its end by Python's gzip module, which checks every
    member's CRC-32 and length (DuckDB does not: a flipped bit loads garbled rows).  A CSV
    (compressed or not) must end its lines with LF or CRLF: a carriage return not followed
    by a line feed (a CR-only file) would be split differently by DuckDB and by the second
    count.  A parquet file must start and end with its magic number (a truncated copy does
    not); its footer is checked against the rows decoded, in _read_into_stage.
    """
    if df.is_parquet:
        try:
            with df.path.open("rb") as f:
                head = f.read(4)
                f.seek(0, io.SEEK_END)
                size = f.tell()
                f.seek(max(size - 4, 0))
                tail = f.read(4)
        except FileNotFoundError:
            raise  # the drop vanished: load_kind says so, and the next run loads it
        except OSError as exc:
            raise ContractError(f"{df.label}: the file cannot be read ({exc}). Nothing from this file was loaded.") from exc
        if size < 12 or head != b"PAR1" or tail != b"PAR1":
            raise ContractError(
                f"{df.label}: not a complete parquet file (a parquet file starts and ends with PAR1; this one "
                f"{'is empty' if size == 0 else 'does not'}): it is corrupt or was cut short while it was copied. "
                "Re-export it. Nothing from this file was loaded."
            )
        return
    lines_before = 0  # line feeds before `pending`
    pending = b""
    try:
        with (gzip.open(df.path, "rb") if _is_gzip(df) else df.path.open("rb")) as f:
            while True:
                chunk = f.read(CHUNK)
                data = pending + chunk
                # A CR at the end of a chunk may be the first half of a CRLF: decide with the next chunk.
                pending = data[-1:] if chunk and data.endswith(b"\r") else b""
                scan = data[: len(data) - len(pending)]
                bare = _BARE_CR.search(scan)
                if bare:
                    line = lines_before + scan.count(b"\n", 0, bare.start()) + 1
                    raise ContractError(
                        f"{df.label}: line {line}: a carriage return (CR) that is not followed by a line feed: the "
                        "contract's CSV files end their lines with LF or CRLF"
                        + (" (this file looks like it ends its lines with CR only, as old Mac exports do)" if line == 1 else "")
                        + ". Re-export with LF or CRLF line ends. Nothing from this file was loaded."
                    )
                lines_before += scan.count(b"\n")
                if not chunk:
                    break
    except FileNotFoundError:
        raise
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ContractError(
            f"{df.label}: the compressed file is corrupt ({exc}; `gzip -t` fails on it too): it was damaged or cut "
            "short in transfer. Re-export or copy it again. Nothing from this file was loaded."
        ) from exc
    except OSError as exc:
        raise ContractError(f"{df.label}: the file cannot be read ({exc}). Nothing from this file was loaded.") from exc


# ----------------------------------------------------------------------------- reading


def read_csv_header(df: DropFile) -> list[str]:
    """The header row, read by Python: only the first line, to tell DuckDB the columns.

    DuckDB's dialect sniffer gives up on a file with one malformed row; with the
    columns stated it reads the good rows and reports each bad one instead.
    """
    opener = gzip.open if _is_gzip(df) else open
    try:
        with opener(df.path, "rb") as f:
            first = f.readline(CHUNK)
    except (OSError, EOFError) as exc:
        raise ContractError(f"{df.label}: the file cannot be read ({exc}). Nothing from this file was loaded.") from exc
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"{df.label}: line 1 (header): bytes that are not UTF-8 at position {exc.start}; the contract's files are "
            "UTF-8 (with or without BOM). Re-export as UTF-8. Nothing from this file was loaded."
        ) from exc
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise ContractError(f"{df.label}: line 1 (header): not a CSV header row ({exc}). Nothing from this file was loaded.") from exc
    if not header or header == [""]:
        raise ContractError(f"{df.label}: the file is empty; expected a header row. Nothing from this file was loaded.")
    return [h.strip() for h in header]


def check_header(df: DropFile, header: list[str], keeps_extras: bool) -> None:
    """Column names the loader can use: each once, and none named like a column the loader adds."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        key = name.strip().lower()
        if key in seen:
            raise ContractError(
                f"{df.label}: line 1 (header): column {name!r} appears twice (fields {seen[key]} and {i}; names are "
                "matched case-insensitively), so its values cannot be told apart. Remove or rename one. "
                "Nothing from this file was loaded."
            )
        seen[key] = i
    if keeps_extras:
        clash = [h for h in header if h.strip().lower() in RESERVED_COLUMNS]
        if clash:
            raise ContractError(
                f"{df.label}: line 1 (header): column(s) {', '.join(repr(c) for c in clash)} have the name of a column "
                f"the loader adds to every raw row ({', '.join(RESERVED_COLUMNS)}: where the row came from); rename "
                "them in the export. Nothing from this file was loaded."
            )


def stage_column(i: int) -> str:
    """The stage's name for the file's i-th column (from 0): never one of the loader's own (_line, _row...)."""
    return f"c{i}"


def _csv_options(df: DropFile, policy: RejectPolicy) -> str:
    compression = "'gzip'" if _is_gzip(df) else "'none'"
    return f"compression = {compression}, max_line_size = {int(policy.csv_max_record_bytes)}"


def _read_into_stage(con: duckdb.DuckDBPyConnection, df: DropFile, header: list[str] | None,
                     policy: RejectPolicy) -> list[str]:
    """Materialise one file as text columns (c0, c1, ... in the header's order), numbered by
    the line where each record starts, and its unreadable rows (UNSPLIT).  Returns the header.

    The rows go into a real temporary table before any cast: DuckDB pushes casts in a
    query down into the CSV reader, which would turn TRY_CAST into a hard failure.
    """
    # The path comes from the landing folder: bound as a parameter, never spliced into SQL.
    params: dict[str, object] = {"path": str(df.path)}
    for table in (STAGE, STAGE_READ, READER_REJECTS, READER_REJECT_SCANS, UNSPLIT, LINES, RECORDS, DATA_LINES):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    if header is None:  # parquet: typed by its writer, every row readable
        rel = con.execute("SELECT * FROM read_parquet($path) LIMIT 0", params)
        names = [d[0] for d in rel.description]
        as_text = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {stage_column(i)}" for i, c in enumerate(names))
        # file_row_number cannot be asked for when the file has a column of that name.
        numbered = "file_row_number" not in {n.lower() for n in names}
        line = "file_row_number + 1" if numbered else "row_number() OVER ()"
        con.execute(
            f"CREATE TEMP TABLE {STAGE} AS SELECT {as_text}, {line} AS _line "
            f"FROM read_parquet($path{', file_row_number = true' if numbered else ''})",
            params,
        )
        # The footer's row count, against the rows decoded: a second count, from the file's own metadata.
        footer = con.execute("SELECT sum(num_rows) FROM parquet_file_metadata($path)", params).fetchone()[0] or 0
        decoded = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        if footer != decoded:
            raise ContractError(f"{df.label}: the parquet footer says {footer} rows, but {decoded} could be decoded: the "
                                "file is corrupt. Re-export it. Nothing from this file was loaded.")
        con.execute(f"CREATE TEMP TABLE {UNSPLIT} (line BIGINT, column_name VARCHAR, error_type VARCHAR, "
                    "csv_line VARCHAR, error_message VARCHAR)")
        return names
    # The contract's dialect, stated rather than sniffed: a file in another dialect
    # fails on its header instead of being read as something else.
    params["columns"] = {stage_column(i): "VARCHAR" for i in range(len(header))}
    con.execute(
        f"""
        CREATE TEMP TABLE {STAGE_READ} AS
        SELECT *, row_number() OVER () AS _row
        FROM read_csv($path, auto_detect = false, header = true, columns = $columns,
                      delim = ',', quote = '"', escape = '"', {_csv_options(df, policy)},
                      store_rejects = true, rejects_table = '{READER_REJECTS}', rejects_scan = '{READER_REJECT_SCANS}')
        """,
        params,
    )
    physical = _physical_records(con, df, policy)
    rejected_records = [n for (n,) in con.execute(f"SELECT DISTINCT line FROM {READER_REJECTS} ORDER BY 1").fetchall()]
    staged = con.execute(f"SELECT count(*) FROM {STAGE_READ}").fetchone()[0]
    bad_refs = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT line FROM {READER_REJECTS}) j LEFT JOIN {RECORDS} r ON r.rec_no = j.line "
        "WHERE r.rec_no IS NULL OR r.blank OR r.rec_no < 2"
    ).fetchone()[0]
    if staged + len(rejected_records) != physical.records or bad_refs:
        raise ContractError(
            f"{df.label}: DuckDB's CSV reader read {staged + len(rejected_records)} records, but the file's lines hold "
            f"{physical.records} (counted a second way, by following the quotes from line to line)"
            + (f"; the first value that spans lines starts on line {physical.first_multiline}" if physical.first_multiline else "")
            + ". A quote or a line end is malformed, so rows could be lost or merged. Fix the export. "
            "Nothing from this file was loaded."
        )
    # A record the reader could not split that spans lines: its quotes are unbalanced, and
    # the records between its lines cannot be told apart (a stray quote closed by another).
    merged = con.execute(
        f"SELECT r.start_line, r.end_line, j.error_type FROM {READER_REJECTS} j JOIN {RECORDS} r ON r.rec_no = j.line "
        "WHERE r.end_line > r.start_line AND j.error_type IN ('UNQUOTED VALUE', 'TOO MANY COLUMNS', 'MISSING COLUMNS') "
        "ORDER BY 1 LIMIT 1"
    ).fetchone()
    if merged:
        start, end, error = merged
        opened = con.execute(f"SELECT min(n) FROM {LINES} WHERE n BETWEEN $a AND $b AND ends_quoted",
                             {"a": start, "b": end}).fetchone()[0] or start
        raise ContractError(
            f"{df.label}: line {opened}: the CSV reader could not split the record that starts on line {start} and spans "
            f"lines {start}-{end} ({error}): a quote opened on line {opened} is closed only on line {end}, so the records in "
            "between cannot be told apart. Close the quote on its own line (a quote inside a value is written twice, "
            "\"\"). Nothing from this file was loaded."
        )
    # A quoted value may span lines (a note), but not over lines that are records of their
    # own: a stray quote closed by another, rows later, would merge the rows in between into
    # one value that parses (the fields after the closing quote fill the record).
    swallowed = con.execute(
        f"SELECT min(n) FROM {LINES} WHERE starts_quoted AND ends_quoted AND commas = $k", {"k": len(header) - 1}
    ).fetchone()[0]
    if swallowed:
        start = con.execute(f"SELECT max(start_line) FROM {RECORDS} WHERE start_line < $n", {"n": swallowed}).fetchone()[0]
        opened = con.execute(f"SELECT min(n) FROM {LINES} WHERE n >= $a AND ends_quoted", {"a": start}).fetchone()[0]
        end = con.execute(f"SELECT end_line FROM {RECORDS} WHERE start_line = $a", {"a": start}).fetchone()[0]
        raise ContractError(
            f"{df.label}: line {opened}: a quote opened here is closed only on line {end}, and line {swallowed} in between "
            f"looks like a record of its own ({len(header)} fields, as the header): the rows in between would be read as "
            "one value and lost. Fix the stray quote (a quote inside a value is written twice, \"\"). "
            "Nothing from this file was loaded."
        )
    # The reader skips blank lines and the records it rejects, and numbers records, not
    # lines: a row's line is the start of the n-th record that is neither.
    con.execute(
        f"""
        CREATE TEMP TABLE {DATA_LINES} AS
        SELECT row_number() OVER (ORDER BY rec_no) AS k, start_line FROM {RECORDS}
        WHERE rec_no >= 2 AND NOT blank AND rec_no NOT IN (SELECT line FROM {READER_REJECTS})
        """
    )
    con.execute(
        f"CREATE TEMP TABLE {STAGE} AS SELECT s.* EXCLUDE (_row), d.start_line AS _line "
        f"FROM {STAGE_READ} s JOIN {DATA_LINES} d ON d.k = s._row"
    )
    reason = (
        "CASE j.error_type "
        f"WHEN 'LINE SIZE OVER MAXIMUM' THEN 'the record is longer than csv_max_record_bytes ({policy.csv_max_record_bytes} "
        "bytes, a setting: raise it to load such records)' "
        "WHEN 'INVALID ENCODING' THEN 'bytes that are not UTF-8; the contract''s files are UTF-8' "
        "WHEN 'MISSING COLUMNS' THEN 'fewer fields than the header has (' || j.error_message || ')' "
        "WHEN 'TOO MANY COLUMNS' THEN 'more fields than the header has (' || j.error_message || ')' "
        "ELSE j.error_message END"
    )
    con.execute(
        f"""
        CREATE TEMP TABLE {UNSPLIT} AS
        SELECT r.start_line AS line,
               CASE WHEN regexp_full_match(j.column_name, 'c[0-9]+') THEN $headers[CAST(substr(j.column_name, 2) AS INTEGER) + 1] END AS column_name,
               j.error_type, j.csv_line, {reason} AS error_message
        FROM {READER_REJECTS} j JOIN {RECORDS} r ON r.rec_no = j.line
        """,
        {"headers": header},
    )
    for table in (STAGE_READ, DATA_LINES):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return header


# The CSV dialect, as regular expressions over one physical line (RE2): a field is quoted
# when it starts (after spaces) with a quote; inside, "" is a quote; after the closing
# quote, anything up to the next comma is part of the field (the reader rejects it, but
# it ends where the line's commas say).  An unquoted field's quotes are plain characters.
_IN_QUOTES = r'(?:[^"]|"")*'
_CLOSE = r'"(?:[^",][^,]*)?'
_FIELD = r'(?: *"' + _IN_QUOTES + _CLOSE + r'| *(?:[^ ",][^,]*)?)'
_ENDS_OPEN = r'(?:' + _FIELD + r',)* *"' + _IN_QUOTES  # from a field's start, the line ends inside quotes
_STAYS_OPEN = _IN_QUOTES + _CLOSE + "," + _ENDS_OPEN  # from inside quotes: closes, and a later field opens


@dataclass(frozen=True)
class _Physical:
    records: int  # data records (not the header, not blank lines)
    first_multiline: int | None  # the line where the first value spanning lines starts


def _follow_quote_state(con: duckdb.DuckDBPyConnection) -> None:
    """LINES with each line's quote state at its start and end (see _physical_records)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {LINES} AS
        WITH counted AS (
            SELECT n, blank, f, commas, coalesce(sum(CASE WHEN f = 1 THEN 1 ELSE 0 END) OVER w, 0) AS flips_before
            FROM {LINES} WINDOW w AS (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ), last_set AS (
            SELECT *,
                   last_value(CASE WHEN f IN (0, 3) THEN f = 3 END IGNORE NULLS) OVER w AS set_to,
                   last_value(CASE WHEN f IN (0, 3) THEN flips_before END IGNORE NULLS) OVER w AS flips_at_set
            FROM counted WINDOW w AS (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ), started AS (
            SELECT n, blank, f, commas,
                   CASE WHEN set_to IS NULL THEN flips_before % 2 = 1
                        ELSE set_to <> ((flips_before - flips_at_set) % 2 = 1) END AS starts_quoted
            FROM last_set
        )
        SELECT n, blank, starts_quoted, commas,
               CASE f WHEN 2 THEN starts_quoted WHEN 1 THEN NOT starts_quoted WHEN 0 THEN false ELSE true END AS ends_quoted
        FROM started
        """
    )


def _physical_records(con: duckdb.DuckDBPyConnection, df: DropFile, policy: RejectPolicy) -> _Physical:
    """Count the file's records a second way, independently of DuckDB's CSV parser: DuckDB
    reads the file as raw lines (Latin-1, so that no byte can fail; no quote, no delimiter),
    and SQL follows the quote state from line to line.  Fills RECORDS (rec_no as the
    parser numbers records: header = 1, blank lines included; start_line; blank).

    Each line is a function of the state at its start (inside quotes or not): a line with
    no quote keeps it, most others flip it or set it.  The state at a line's start is the
    last line that set it, flipped once per flipping line since: window functions, no loop.
    """
    bits = (f"(CASE WHEN regexp_full_match(line, {sql_literal(_ENDS_OPEN)}) THEN 1 ELSE 0 END) + "
            f"(CASE WHEN regexp_full_match(line, {sql_literal(_IN_QUOTES)}) "
            f"OR regexp_full_match(line, {sql_literal(_STAYS_OPEN)}) THEN 2 ELSE 0 END)")
    # f: bit 1 = the line ends inside quotes when it starts outside, bit 2 = ... when it starts inside.
    # 2 keeps the state, 1 flips it, 0 and 3 set it.
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {LINES} AS
            SELECT row_number() OVER () AS n, line IS NULL AS blank,
                   CASE WHEN line IS NULL OR position('"' IN line) = 0 THEN 2 ELSE {bits} END AS f,
                   CASE WHEN position('"' IN coalesce(line, '')) = 0 THEN length(coalesce(line, '')) - length(replace(coalesce(line, ''), ',', '')) END AS commas
            FROM read_csv($path, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                          delim = '\u2603', quote = '', escape = '', encoding = 'latin-1', new_line = '\\r\\n',
                          strict_mode = false, compression = {"'gzip'" if _is_gzip(df) else "'none'"},
                          max_line_size = {RAW_LINE_LIMIT}, buffer_size = {RAW_LINE_LIMIT})
            """,
            {"path": str(df.path)},
        )
    except duckdb.Error as exc:
        raise ContractError(f"{df.label}: the file's lines cannot be counted: {_first_lines(exc)}. Nothing from this file "
                            "was loaded.") from exc
    if con.execute(f"SELECT bool_and(f IN (0, 2)) FROM {LINES}").fetchone()[0] is not False:
        # No line can end inside quotes when it starts outside (no value spans lines: the
        # common case), so from line 1 on every line starts and ends outside: the windows
        # of _follow_quote_state would find the same at a high cost (15 s of a 22 s load
        # of 1.8 million lines).
        con.execute(f"CREATE OR REPLACE TEMP TABLE {LINES} AS SELECT n, blank, false AS starts_quoted, commas, "
                    f"false AS ends_quoted FROM {LINES}")
    else:
        _follow_quote_state(con)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RECORDS} AS SELECT row_number() OVER (ORDER BY n) AS rec_no, n AS start_line, "
        f"coalesce(lead(n) OVER (ORDER BY n) - 1, (SELECT max(n) FROM {LINES})) AS end_line, blank "
        f"FROM {LINES} WHERE NOT starts_quoted"
    )
    header_open, last_open, opened = con.execute(
        f"SELECT bool_or(ends_quoted) FILTER (WHERE n = 1), arg_max(ends_quoted, n), "
        f"1 + coalesce(max(n) FILTER (WHERE NOT ends_quoted), 0) FROM {LINES}"
    ).fetchone()
    if header_open:
        raise ContractError(f"{df.label}: line 1 (header): a quote opens a column name that the line does not close. "
                            "Nothing from this file was loaded.")
    if last_open:
        start = con.execute(f"SELECT max(start_line) FROM {RECORDS} WHERE start_line <= $n", {"n": opened}).fetchone()[0]
        last = con.execute(f"SELECT max(n) FROM {LINES}").fetchone()[0]
        raise ContractError(
            f"{df.label}: line {opened}: a quote opens a value that is never closed, so the rest of the file (lines "
            f"{opened}-{last}) would be read as one value" + (f" of the record starting on line {start}" if start != opened else "")
            + ". Close or remove the quote (a quote inside a value is written twice, \"\"). Nothing from this file was loaded."
        )
    records, first_multiline = con.execute(
        f"SELECT count(*) FILTER (WHERE rec_no >= 2 AND NOT blank), "
        f"(SELECT max(r.start_line) FROM {RECORDS} r WHERE r.start_line < (SELECT min(n) FROM {LINES} WHERE starts_quoted)) "
        f"FROM {RECORDS}"
    ).fetchone()
    return _Physical(records, first_multiline)


MAPPED = "_funnelcast_mapped"  # temp table: the file's rows in the contract's columns, still text
PROBLEMS = "_funnelcast_problems"  # temp table: every bad row of the file being loaded
LOOKUP = "_funnelcast_lookup_"


@dataclass
class _Source:
    """A table of text columns a mapping reads: the file itself (alias s) or a lookup file."""

    alias: str
    label: str
    columns: dict[str, str]  # lower-case name -> the table's column (c0, c1, ...)
    names: dict[str, str] = field(default_factory=dict)  # lower-case name -> the name in the header

    def shown(self) -> str:
        """The file's columns as its header names them, for messages."""
        return ", ".join((self.names or self.columns).values())


def _clean(ref: str) -> str:
    """Text as the contract wants it: trimmed, and empty means null."""
    return f"nullif(trim({ref}), '')"


class _Resolver:
    def __init__(self, mapping: Mapping, main: _Source, lookups: dict[str, _Source]):
        self.mapping, self.main, self.lookups = mapping, main, lookups

    def __call__(self, name: str, where: str) -> str:
        actual = self.main.columns.get(name.strip().lower())
        if actual is not None:
            return f"s.{quote_ident(actual)}"
        prefix, _, rest = name.partition(".")
        if rest and prefix in self.lookups:
            src = self.lookups[prefix]
            if isinstance(src.columns, _LookupColumns):  # the drop has no such file: every column is empty
                return "CAST(NULL AS VARCHAR)"
            actual = src.columns.get(rest.strip().lower())
            if actual is not None:
                return f"{src.alias}.{quote_ident(actual)}"
            raise ContractError(f"{self.mapping.label}: {where}: column {rest!r} is not in the lookup file {src.label}; "
                                f"its columns: {src.shown()}. Nothing from this file was loaded.")
        raise ContractError(f"{self.mapping.label}: {where}: column {name!r} is not in {self.main.label}; its columns: "
                            f"{self.main.shown()}. Nothing from this file was loaded.")

    def has(self, name: str) -> bool:
        try:
            self(name, "")
        except ContractError:
            return False
        return True

    def columns_of(self, spec: ColumnSpec) -> list[str]:
        """The references of a spec's `column` list that the file has.  Alternatives the file
        lacks are skipped (exports rename columns between versions: Record ID, Contact ID);
        none at all is an error unless the spec is `optional`."""
        present = [c for c in spec.columns if self.has(c)]
        if not present and spec.columns and not spec.options.get("optional"):
            if len(spec.columns) == 1:
                self(spec.columns[0], f"{spec.where}.column")  # raises, naming the column
            raise ContractError(f"{self.mapping.label}: {spec.where}.column: none of the columns "
                                f"{', '.join(repr(c) for c in spec.columns)} is in {self.main.label}; its columns: "
                                f"{self.main.shown()}. Nothing from this file was loaded.")
        return [self(c, f"{spec.where}.column") for c in present]


def _text_expr(spec: ColumnSpec, resolve: _Resolver) -> str:
    """The mapped value as text, before its type is parsed."""
    opts = spec.options
    if spec.has_value:
        expr = sql_literal(spec.value)
    elif spec.template is not None:
        refs = {f: _clean(resolve(f, f"{spec.where}.template")) for f in template_fields(spec.template)}
        pieces, rest = [], spec.template
        for name, ref in refs.items():
            before, _, rest = rest.partition("{" + name + "}")
            if before:
                pieces.append(sql_literal(before))
            pieces.append(ref)
        if rest:
            pieces.append(sql_literal(rest))
        expr = f"CASE WHEN {' OR '.join(f'{r} IS NULL' for r in refs.values())} THEN NULL ELSE {' || '.join(pieces)} END"
    else:
        refs = [_clean(r) for r in resolve.columns_of(spec)]
        expr = "CAST(NULL AS VARCHAR)" if not refs else refs[0] if len(refs) == 1 else f"coalesce({', '.join(refs)})"
    if "list_separator" in opts:
        expr = _clean(f"split_part({expr}, {sql_literal(str(opts['list_separator']))}, 1)")
    if "extract" in opts:
        pattern = str(opts["extract"])
        group = 1 if "(" in pattern.replace("\\(", "") else 0
        expr = _clean(f"regexp_extract({expr}, {sql_literal(pattern)}, {group})")
    if "values" in opts:
        cases = " ".join(f"WHEN {sql_literal(k.lower())} THEN {sql_literal(v)}" for k, v in opts["values"].items())
        # With a value map, `default` is what every other value (and an empty one) becomes;
        # `default: null` keeps only the values listed.
        otherwise = sql_literal(scalar_text(opts["default"])) if "default" in opts else expr
        expr = f"(CASE lower({expr}) {cases} ELSE {otherwise} END)"
    if "present" in opts or "absent" in opts:
        present = sql_literal(scalar_text(opts["present"])) if "present" in opts else expr
        expr = f"(CASE WHEN {expr} IS NOT NULL THEN {present} ELSE {sql_literal(scalar_text(opts.get('absent')))} END)"
    if "default" in opts and "values" not in opts:
        expr = f"coalesce({expr}, {sql_literal(scalar_text(opts['default']))})"
    return expr


def _stage_lookups(con: duckdb.DuckDBPyConnection, df: DropFile, kmap: KindMapping, mapping: Mapping,
                   policy: RejectPolicy) -> dict[str, _Source]:
    """Each lookup's file of the same drop, as a text table with one row per key."""
    out: dict[str, _Source] = {}
    for i, lookup in enumerate(kmap.lookups):
        alias = f"{LOOKUP}{i}"
        con.execute(f"DROP TABLE IF EXISTS {alias}")
        candidates = [p for p in sorted(df.path.parent.iterdir())
                      if p.is_file() and any(fnmatch.fnmatchcase(p.name.lower(), pat.lower()) for pat in lookup.patterns)]
        if len(candidates) > 1:
            raise ContractError(f"{df.label}: {mapping.label}: {lookup.where}: several files of drop {df.drop} match "
                                f"{list(lookup.patterns)} ({', '.join(p.name for p in candidates)}); expected one. "
                                "Nothing from this file was loaded.")
        label = f"{df.drop}/{candidates[0].name}" if candidates else f"{df.drop}/{lookup.patterns[0]}"
        if not candidates:
            # No such file in this drop: every looked-up column is empty.
            con.execute(f"CREATE TEMP TABLE {alias} ({quote_ident(lookup.key)} VARCHAR)")
            out[lookup.name] = _Source(alias, label, _LookupColumns(lookup.key))
            continue
        ldf = DropFile(df.drop, df.kind, candidates[0])
        # A lookup's rows become columns of the file's rows: checked as strictly as the file.
        verify_integrity(ldf)
        header = None if ldf.is_parquet else read_csv_header(ldf)
        if header is not None:
            check_header(ldf, header, keeps_extras=False)
        try:
            if header is None:
                names = [d[0] for d in con.execute("SELECT * FROM read_parquet($path) LIMIT 0", {"path": str(ldf.path)}).description]
                check_header(ldf, names, keeps_extras=False)
                as_text = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {stage_column(i)}" for i, c in enumerate(names))
                con.execute(f"CREATE TEMP TABLE {alias} AS SELECT {as_text} FROM read_parquet($path)", {"path": str(ldf.path)})
                footer = con.execute("SELECT sum(num_rows) FROM parquet_file_metadata($path)", {"path": str(ldf.path)}).fetchone()[0] or 0
                counted = footer
            else:
                names = header
                con.execute(
                    f"CREATE TEMP TABLE {alias} AS SELECT * FROM read_csv($path, auto_detect = false, header = true, "
                    f"columns = $columns, delim = ',', quote = '\"', escape = '\"', {_csv_options(ldf, policy)})",
                    {"path": str(ldf.path), "columns": {stage_column(i): "VARCHAR" for i in range(len(header))}},
                )
                counted = _physical_records(con, ldf, policy).records
                for table in (LINES, RECORDS):
                    con.execute(f"DROP TABLE IF EXISTS {table}")
        except duckdb.Error as exc:
            raise ContractError(f"{df.label}: the lookup file {label} ({lookup.where} of {mapping.label}) cannot be read: "
                                f"{_first_lines(exc)}. Nothing from this file was loaded.") from exc
        read = con.execute(f"SELECT count(*) FROM {alias}").fetchone()[0]
        if read != counted:
            raise ContractError(f"{df.label}: the lookup file {label} ({lookup.where} of {mapping.label}) holds {counted} "
                                f"records, but {read} could be read: the file is malformed. Nothing from this file was loaded.")
        columns = {h.strip().lower(): stage_column(i) for i, h in enumerate(names)}
        shown = {h.strip().lower(): h for h in names}
        if lookup.key.strip().lower() not in columns:
            raise ContractError(f"{mapping.label}: {lookup.where}.key: column {lookup.key!r} is not in the lookup file "
                                f"{label}; its columns: {', '.join(names)}. Nothing from this file was loaded.")
        key = quote_ident(columns[lookup.key.strip().lower()])
        dupes = con.execute(f"SELECT {_clean(key)}, count(*) FROM {alias} WHERE {_clean(key)} IS NOT NULL "
                            "GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 5").fetchall()
        if dupes:
            raise ContractError(f"{label}: {lookup.where} of {mapping.label} joins on {lookup.key!r}, which must be unique "
                                f"there, but {', '.join(f'{k!r} ({n} rows)' for k, n in dupes)} repeat: a join would "
                                "multiply rows. Nothing from this file was loaded.")
        out[lookup.name] = _Source(alias, label, columns, shown)
    return out


class _LookupColumns(dict):
    """The columns of a lookup file the drop does not have: only its (empty) key column."""

    def __init__(self, key: str):
        super().__init__({key.strip().lower(): key})


def _specs_for(kind: FileKind, kmap: KindMapping, main: _Source, entry: dict[str, ColumnSpec] | None) -> dict[str, ColumnSpec]:
    """Contract column -> how it is made: the entry's spec, the kind's, else the file's column of that name."""
    specs: dict[str, ColumnSpec] = {}
    for col in kind.columns:
        if entry and col.name in entry:
            specs[col.name] = entry[col.name]
        elif col.name in kmap.columns:
            specs[col.name] = kmap.columns[col.name]
        elif col.name in main.columns:
            specs[col.name] = ColumnSpec(f"kinds.{kind.name}.columns.{col.name}", columns=(main.names[col.name],))
    return specs


def record_json(header: list[str], alias: str = "s") -> str:
    """SQL: the stage row as JSON keyed by the header's own names."""
    if not header:
        return "CAST('{}' AS JSON)"
    return "json_object(" + ", ".join(f"{sql_literal(h)}, {alias}.{stage_column(i)}" for i, h in enumerate(header)) + ")"


def _build_mapped(
    con: duckdb.DuckDBPyConnection, df: DropFile, kind: FileKind, kmap: KindMapping, mapping: Mapping,
    header: list[str], policy: RejectPolicy,
) -> tuple[dict[str, ColumnSpec], list[str], list[dict[str, ColumnSpec]]]:
    """MAPPED: the file's rows as the contract's columns (text), one row per record, or per
    record and unpivot entry.  Returns the specs in force and the extra columns kept (their
    names in raw; in MAPPED they are _x0, _x1, ...)."""
    if not header:
        raise ContractError(f"{df.label}: the file is empty; expected a header row with the columns {', '.join(kind.required_columns)}")
    by_lower = {name.strip().lower(): stage_column(i) for i, name in enumerate(header)}
    main = _Source("s", df.label, by_lower, {name.strip().lower(): name for name in header})
    lookups = _stage_lookups(con, df, kmap, mapping, policy)
    resolve = _Resolver(mapping, main, lookups)
    entries = list(kmap.unpivot) or [None]
    all_specs = [_specs_for(kind, kmap, main, entry) for entry in entries]
    missing = [c for c in kind.required_columns if any(c not in specs for specs in all_specs)]
    if missing:
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            hint = " The header looks like it uses another delimiter: the contract's CSV files are comma-separated."
        how = ("" if kmap.identity else
               f" The mapping {mapping.label} gives none: add kinds.{kind.name}.columns.{missing[0]}.")
        raise ContractError(
            f"{df.label}: line 1 (header): required column(s) {', '.join(missing)} missing; "
            f"found {', '.join(header)}.{hint}{how} Nothing from this file was loaded."
        )
    extras = [low for low in by_lower if low not in kind.column_names] if kmap.identity else []
    joins = " ".join(
        f"LEFT JOIN {src.alias} ON {_clean(f'{src.alias}.{quote_ident(src.columns[lk.key.strip().lower()])}')} = "
        f"{_clean(resolve(lk.on, f'{lk.where}.on'))}"
        for lk, src in zip(kmap.lookups, lookups.values())
    )
    selects = []
    for i, (entry, specs) in enumerate(zip(entries, all_specs)):
        cols = []
        for col in kind.columns:
            expr = _text_expr(specs[col.name], resolve) if col.name in specs else "NULL"
            cols.append(f"CAST({expr} AS VARCHAR) AS {quote_ident(col.name)}")
        cols += [f"s.{by_lower[e]} AS _x{j}" for j, e in enumerate(extras)]
        cols.append("s._line")
        cols.append(f"{i} AS _entry")
        if not kmap.identity:
            cols.append(f"{record_json(header)} AS _source_record")
        where = ""
        if entry:
            # An unpivot entry yields a row only where every column it reads directly
            # (`column`, not a template or a constant) has a value once mapped: a stage never
            # entered has an empty "date entered" cell, a value map with `default: null`
            # keeps only the values it lists (e.g. closed stages), and a key built from the
            # record is always set.
            conditions = [_text_expr(spec, resolve) for spec in entry.values() if spec.template is None and spec.columns]
            if conditions:
                where = "WHERE " + " AND ".join(f"({c}) IS NOT NULL" for c in conditions)
        selects.append(f"SELECT {', '.join(cols)} FROM {STAGE} AS s {joins} {where}")
    con.execute(f"DROP TABLE IF EXISTS {MAPPED}")
    con.execute(f"CREATE TEMP TABLE {MAPPED} AS " + " UNION ALL ".join(selects))
    # The spec of each column as the first entry has it: what messages name; and every
    # entry's, for parsing (entries may read columns written differently).
    return all_specs[0], extras, all_specs


def _per_entry(col: Column, kmap: KindMapping, spec: ColumnSpec | None, entry_specs: list[dict[str, ColumnSpec]] | None,
               make) -> str | None:
    """`make(type, text, options)` for MAPPED's column, with each unpivot entry's own parser
    options when the entries parse differently (a created time and a closing date both
    becoming changed_at)."""
    def one(s: ColumnSpec | None) -> str | None:
        return make(col.type, quote_ident(col.name), kmap.parser_options(s, col.type) if s else {})
    if entry_specs and len(entry_specs) > 1:
        exprs = [one(e.get(col.name)) for e in entry_specs]
        if len(set(exprs)) > 1:
            return "(CASE _entry " + " ".join(f"WHEN {i} THEN {x or 'NULL'}" for i, x in enumerate(exprs)) + " END)"
    return one(spec)


def _typed(col: Column, kmap: KindMapping, spec: ColumnSpec | None,
           entry_specs: list[dict[str, ColumnSpec]] | None = None) -> str:
    """SQL turning MAPPED's text column into the contract type (NULL when it does not parse)."""
    return _per_entry(col, kmap, spec, entry_specs, typed_expr)


def _collect_problems(con: duckdb.DuckDBPyConnection, kind: FileKind, kmap: KindMapping, specs: dict[str, ColumnSpec],
                      entry_specs: list[dict[str, ColumnSpec]] | None, header: list[str], policy: RejectPolicy) -> None:
    """Every row the reader could not split, and every value that breaks its column's type or
    is implausible (a timestamp outside the window, a decimal the warehouse would round)."""
    con.execute(f"DROP TABLE IF EXISTS {PROBLEMS}")
    con.execute(
        f"""
        CREATE TEMP TABLE {PROBLEMS} AS
        SELECT line, column_name, csv_line AS raw_value,
               error_type || ': ' || error_message AS reason, CAST(NULL AS JSON) AS raw_record, false AS unparsed
        FROM {UNSPLIT}
        """
    )
    record = f"(SELECT {record_json(header)} FROM {STAGE} s WHERE s._line = m._line)"
    earliest, latest = policy.timestamp_earliest, policy.timestamp_latest()
    for col in kind.columns:
        if col.name not in specs:
            continue
        src = quote_ident(col.name)
        if col.name in kind.key and col.required:
            reason = f"empty, but {col.name} is part of the record key ({', '.join(kind.key)}) and must be set"
            con.execute(
                f"INSERT INTO {PROBLEMS} SELECT DISTINCT _line, $col, NULL, $reason, {record}, false FROM {MAPPED} m WHERE {src} IS NULL",
                {"col": col.name, "reason": reason},
            )
        if col.type == "text":
            continue
        opts = kmap.parser_options(specs[col.name], col.type)
        typed = _typed(col, kmap, specs[col.name], entry_specs)
        implausible = "NULL"
        if col.type == "timestamp":
            # `infinity` parses, and `epoch` is 1970: a version that wins for ever.
            implausible = (
                "CASE WHEN NOT isfinite(t) THEN 'not a finite timestamp (contract type timestamp)' "
                f"WHEN t < $earliest THEN 'an implausible timestamp: before {earliest.isoformat()} (the setting "
                "timestamp_earliest)' "
                f"WHEN t > $latest THEN 'an implausible timestamp: more than {policy.timestamp_max_days_ahead} days "
                "after the load (the setting timestamp_max_days_ahead)' END"
            )
        elif col.type == "date":
            implausible = "CASE WHEN NOT isfinite(t) THEN 'not a finite date (contract type date)' END"
        elif col.type == "decimal":
            loss = _per_entry(col, kmap, specs[col.name], entry_specs, rounding_loss)
            implausible = (f"CASE WHEN {loss} THEN 'a decimal the warehouse would round: it keeps 12 decimal places, "
                           "which would store ' || CAST(t AS VARCHAR) END")
        # One pass per column: the value is parsed once, then judged.
        con.execute(
            f"""
            INSERT INTO {PROBLEMS}
            SELECT _line, $col, v, reason, {record.replace("m._line", "p._line")}, unparsed FROM (
                SELECT _line, v, t IS NULL AS unparsed,
                       CASE WHEN t IS NULL THEN $reason ELSE {implausible} END AS reason
                FROM (SELECT _line, _entry, {src}, {src} AS v, {typed} AS t FROM {MAPPED} WHERE {src} IS NOT NULL)
            ) AS p WHERE reason IS NOT NULL
            """,
            {"col": col.name, "reason": f"not {expectation(col.type, opts)} (contract type {col.type})",
             **({"earliest": datetime.combine(earliest, datetime.min.time()), "latest": latest}
                if col.type == "timestamp" else {})},
        )


def _problem_message(con: duckdb.DuckDBPyConnection, df: DropFile, kind: FileKind, kmap: KindMapping,
                     mapping: Mapping, specs: dict[str, ColumnSpec]) -> str:
    """Every problem of the file, one line per bad column (count, first line, value, what was
    expected, and the mapping option that would read it), then the rows the reader could not split."""
    lines = []
    per_column = con.execute(
        f"SELECT column_name, count(DISTINCT line), min(line), arg_min(raw_value, line), arg_min(reason, line) "
        f"FROM {PROBLEMS} WHERE column_name IS NOT NULL GROUP BY 1 ORDER BY min(line), 1"
    ).fetchall()
    for column, n, first, value, reason in per_column:
        spec = specs.get(column)
        col = kind.column(column) if column in kind.column_names else None
        shown = (value or "").strip()
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        source = ""
        if spec and spec.source_columns and spec.source_columns != (column,):
            source = f" (from {', '.join(repr(c) for c in spec.source_columns)})"
        text = f"line {first}, column {column}{source}: value {shown!r} is {reason}" if value is not None else \
            f"line {first}, column {column}{source}: {reason}"
        if n > 1:
            text += f"; {n} rows in all"
        if col is not None and spec is not None and value is not None:
            samples = [v for (v,) in con.execute(
                f"SELECT DISTINCT raw_value FROM {PROBLEMS} WHERE column_name = $c LIMIT 20", {"c": column}).fetchall()]
            fix = suggestion(con, col.type, samples)
            if fix:
                text += f". Fix: set `{fix}` under {spec.where} in {mapping.label}"
        lines.append(text)
    unsplit = con.execute(
        f"SELECT line, reason, raw_value FROM {PROBLEMS} WHERE column_name IS NULL ORDER BY line LIMIT 5").fetchall()
    total_unsplit = con.execute(f"SELECT count(DISTINCT line) FROM {PROBLEMS} WHERE column_name IS NULL").fetchone()[0]
    for line, reason, raw in unsplit:
        shown = (raw or "").strip()
        lines.append(f"line {line}: {reason} ({shown[:77] + '...' if len(shown) > 80 else shown!r})")
    if total_unsplit > len(unsplit):
        lines.append(f"... and {total_unsplit - len(unsplit)} more line(s) the CSV reader could not split")
    head = f"{df.label}" + ("" if mapping.name in ("contract", "sugarcrm") else f" ({kind.name}, mapping {mapping.name})")
    if len(lines) == 1:
        return f"{head}: {lines[0]}"
    return f"{head}: {len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines) + "\n "


def _parsers_that_match_nothing(con: duckdb.DuckDBPyConnection, df: DropFile, kind: FileKind, kmap: KindMapping,
                                mapping: Mapping, specs: dict[str, ColumnSpec]) -> list[str]:
    """A parser the mapping sets that reads none of a column's values: the mapping is wrong, not the rows."""
    out = []
    for name, spec in specs.items():
        col = kind.column(name)
        if col.type == "text" or not any(k in spec.options for k in PARSER_OPTIONS):
            continue
        given, bad, example = con.execute(
            f"SELECT count({quote_ident(name)}), count(DISTINCT p.line), any_value(p.raw_value) FROM {MAPPED} m "
            f"LEFT JOIN {PROBLEMS} p ON p.line = m._line AND p.column_name = $c AND p.unparsed",
            {"c": name},
        ).fetchone()
        if given and bad >= given:
            opts = {k: v for k, v in spec.options.items() if k in PARSER_OPTIONS}
            out.append(f"{mapping.label}: {spec.where}: the parser {opts} matches none of the {given} values of column "
                       f"{', '.join(repr(c) for c in spec.source_columns) or name} in {df.label}, e.g. {example!r}")
    return out


def load_file(
    con: duckdb.DuckDBPyConnection, df: DropFile, sha256: str, policy: RejectPolicy = RejectPolicy(),
    mapping: Mapping | None = None,
) -> FileLoad:
    """Load one file as one kind, in one transaction: good rows to raw.<kind>, bad ones to raw.rejected_rows.

    Raises ContractError, having loaded nothing, when the file is unusable.
    """
    mapping = mapping or identity_mapping()
    kind = KINDS[df.kind]
    kmap = mapping.kinds[df.kind]
    # Integrity first: no row of a corrupt file is ever used.
    verify_integrity(df)
    header = None if df.is_parquet else read_csv_header(df)
    if header is not None:
        check_header(df, header, keeps_extras=kmap.identity)
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            header = _read_into_stage(con, df, header, policy)
        except duckdb.Error as exc:
            raise ContractError(f"{df.label}: DuckDB could not read the file: {_first_lines(exc)}. Nothing from this file was loaded.") from exc
        if df.is_parquet:
            check_header(df, header, keeps_extras=kmap.identity)
        specs, extras, entry_specs = _build_mapped(con, df, kind, kmap, mapping, header, policy)
        _collect_problems(con, kind, kmap, specs, entry_specs, header, policy)
        staged = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        unreadable = con.execute(f"SELECT count(DISTINCT line) FROM {UNSPLIT}").fetchone()[0]
        rows_read = staged + unreadable
        rejected = con.execute(f"SELECT count(DISTINCT line) FROM {PROBLEMS}").fetchone()[0]
        wrong_parsers = _parsers_that_match_nothing(con, df, kind, kmap, mapping, specs)
        if wrong_parsers:
            raise ContractError("\n".join(wrong_parsers) + ". Nothing from this file was loaded.")
        if rejected and policy.on_bad_rows == "fail":
            raise ContractError(f"{_problem_message(con, df, kind, kmap, mapping, specs)}. Nothing from this file was loaded.")
        if rejected > policy.max_rejected_share * rows_read:
            raise ContractError(
                f"{_problem_message(con, df, kind, kmap, mapping, specs)}. {rejected} of {rows_read} rows break the contract, more than "
                f"max_rejected_share ({policy.max_rejected_share:.0%}): the file looks unusable. "
                "Nothing from this file was loaded."
            )
        for extra in extras:
            # Unknown columns are kept in raw (as text) and ignored downstream.
            con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS {quote_ident(extra)} VARCHAR")
        if not kmap.identity:
            # The export's own record, every column as read, next to the mapped values.
            con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS _source_record JSON")
        columns = [c for c in kind.columns if c.name in specs]
        targets = [quote_ident(c.name) for c in columns] + [quote_ident(e) for e in extras]
        values = [_typed(c, kmap, specs[c.name], entry_specs) for c in columns] + [f"_x{j}" for j in range(len(extras))]
        if not kmap.identity:
            targets.append("_source_record")
            values.append("_source_record")
        file_params = {"drop": df.drop, "file": df.file_name, "kind": df.kind}
        con.execute(
            f"""
            INSERT INTO raw.{kind.name} ({', '.join(targets)}, _drop, _file, _line, _loaded_at, _snapshot)
            SELECT {', '.join(values)}, $drop, $file, _line, timezone('UTC', now()), $snapshot FROM {MAPPED}
            WHERE _line NOT IN (SELECT line FROM {PROBLEMS} WHERE line IS NOT NULL)
            ORDER BY _line, _entry
            """,
            {"drop": df.drop, "file": df.file_name, "snapshot": kmap.snapshot},
        )
        derived = con.execute(
            f"SELECT count(*) FROM {MAPPED} WHERE _line NOT IN (SELECT line FROM {PROBLEMS} WHERE line IS NOT NULL)"
        ).fetchone()[0]
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
            "INSERT INTO raw.load_log (drop_name, file_name, kind, sha256, rows_loaded, loaded_at, rows_read, rows_rejected, "
            "rows_derived, mapping) VALUES ($drop, $file, $kind, $sha, $loaded, timezone('UTC', now()), $read, $rejected, "
            "$derived, $mapping)",
            {**file_params, "sha": sha256, "loaded": loaded, "read": rows_read, "rejected": rejected,
             "derived": derived, "mapping": mapping.name},
        )
        for table in (STAGE, READER_REJECTS, READER_REJECT_SCANS, UNSPLIT, LINES, RECORDS, PROBLEMS, MAPPED,
                      *(f"{LOOKUP}{i}" for i in range(len(kmap.lookups)))):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("COMMIT")
        return FileLoad(df.drop, df.file_name, loaded, rejected)
    except BaseException:
        con.execute("ROLLBACK")
        raise


def kinds_provided(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The kinds some drop has provided a file of (even one with no rows): what "a required
    kind no drop provides" is measured against."""
    return {kind for (kind,) in con.execute("SELECT DISTINCT kind FROM raw.load_log").fetchall()}


def _first_lines(exc: Exception, n: int = 3) -> str:
    return " / ".join(line.strip() for line in str(exc).splitlines()[:n] if line.strip())


def load_kind(
    con: duckdb.DuckDBPyConnection, landing: Path, kind: str, policy: RejectPolicy = RejectPolicy(),
    mapping: Mapping | None = None, skip_drops: frozenset[str] = frozenset(),
) -> KindLoad:
    """Load every not-yet-loaded file of one kind from every drop.

    A file that is unusable is skipped whole and its error collected; the caller
    decides to fail (the Dagster asset does, after the good files are in).
    """
    con.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(con)
    mapping = mapping or identity_mapping()
    result = KindLoad(kind)
    kmap = mapping.kinds[kind]
    for name in misnamed_drops(landing, policy.drop_name_pattern):
        files = [p.name for p in sorted((landing / name).iterdir()) if p.is_file() and kmap.matches(p.name)] \
            if (landing / name).is_dir() else []
        if files:
            result.errors.append(
                f"{name}/: not loaded ({', '.join(files)}): the folder name does not match the drop name pattern "
                f"{policy.drop_name_pattern!r} (the setting drop_name_pattern; by default a date such as 2026-11-23, "
                "optionally with a suffix: 2026-11-23T0600, 2026-11-23_2). Drops must be named so that they sort by "
                "time: rename the folder (or start its name with _ to park it)."
            )
    loaded = {
        (d, f): sha
        for d, f, sha in con.execute("SELECT drop_name, file_name, sha256 FROM raw.load_log WHERE kind = ?", [kind]).fetchall()
    }
    # A retracted drop (funnelcast drop retract) stays out until the user restores it.
    for df in (f for f in find_files(landing, kind, mapping, policy.drop_name_pattern) if f.drop not in skip_drops):
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
            result.files.append(load_file(con, df, sha, policy, mapping))
        except ContractError as exc:
            result.errors.append(str(exc))
        except FileNotFoundError:
            result.errors.append(f"{df.label}: the file disappeared while it was being loaded; it will be loaded by the next run.")
    return result
