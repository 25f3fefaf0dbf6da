"""Loading export drops into the DuckDB tables raw.<kind>.

Bulk data never passes through Python: DuckDB reads each file (read_csv with every
column as text, or read_parquet) into a temporary table, each value is parsed once into
its contract type in SQL (one table that the checks and the insert both read), and the
typed rows are appended to raw.<kind> together with the drop, file and line they came
from.  raw.load_log records every file loaded (with its sha256, size and modification
time), so loading the same drop again adds nothing, and a weekly run reads only the new
files: a file whose size and modification time are those recorded is not read again
(load_kind).

What a load costs follows its rows, not its files: the new files of a kind are loaded in
batches (consecutive CSV files with one header and compression, up to MAX_BATCH_BYTES of
input), each batch read by one read_csv and checked by a few queries over all its files,
and written in one transaction once every file's verdict is known.  Every file keeps its
own lines, second count, problems, counts and verdict: a file that is unusable loads
nothing, with its own message, while the others of its batch load.  Parquet files, and
files a mapping joins lookup files to (from their own drop), are loaded one at a time.

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

import codecs
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

STAGE = "_funnelcast_stage"  # temp view: a batch's rows as text, by file id (_fid) and line, of the files not unusable
STAGE_READ = "_funnelcast_stage_read"  # temp table: the rows as DuckDB's CSV reader returned them, numbered as read (rowid)
STAGE_LINES = "_funnelcast_stage_lines"  # the line (_line) of each row (_g: its rowid) of files whose records are not one per line
READER_REJECTS = "_funnelcast_reader_rejects"  # rows DuckDB's CSV reader could not split
READER_REJECT_SCANS = "_funnelcast_reader_reject_scans"
UNSPLIT = "_funnelcast_unsplit"  # the reader's rejects, by file line and header column name
LINES = "_funnelcast_lines"  # the file's physical lines: quote state at their start and end
RECORDS = "_funnelcast_records"  # where each record starts, numbered as DuckDB's reader numbers them
REJECTED_RECORDS = "_funnelcast_rejected_records"  # the reader's rejects by file id and record number
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
            file_size BIGINT,         -- the file's size and modification time when its sha256 was last
            file_mtime_ns BIGINT,     -- taken: while both match, the file is not read again
            PRIMARY KEY (drop_name, file_name, kind)
        )
        """
    )
    _migrate_load_log(con)
    for column in ("file_size", "file_mtime_ns"):  # a build file from before they were recorded
        con.execute(f"ALTER TABLE raw.load_log ADD COLUMN IF NOT EXISTS {column} BIGINT")
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


def verify_integrity(df: DropFile) -> bool:
    """Check the file's own integrity before any of its rows is used; raise ContractError if it fails.

    A `.gz` file is decompressed to its end by Python's gzip module, which checks every
    member's CRC-32 and length (DuckDB does not: a flipped bit loads garbled rows).  A CSV
    (compressed or not) must end its lines with LF or CRLF: a carriage return not followed
    by a line feed (a CR-only file) would be split differently by DuckDB and by the second
    count.  A parquet file must start and end with its magic number (a truncated copy does
    not); its footer is checked against the rows decoded, in _read_into_stage.

    Returns whether the file is UTF-8 throughout, with no byte order mark (a CSV the second
    count can read as UTF-8, see _physical_records); False for parquet.
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
        return False
    lines_before = 0  # line feeds before `pending`
    pending = b""
    # Whether the bytes are UTF-8 throughout (None once they are not), decoded only where a chunk
    # is not plain ASCII; a byte order mark counts as not (the second count keeps it on line 1).
    utf8: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
    try:
        with (gzip.open(df.path, "rb") if _is_gzip(df) else df.path.open("rb")) as f:
            while True:
                chunk = f.read(CHUNK)
                if lines_before == 0 and not pending and chunk.startswith(codecs.BOM_UTF8):
                    utf8 = None
                if utf8 is not None and not (chunk.isascii() and not utf8.getstate()[0]):
                    try:
                        utf8.decode(chunk, final=not chunk)
                    except UnicodeDecodeError:
                        utf8 = None
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
    return utf8 is not None


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


def _paths(dfs: list[DropFile]) -> list[str]:
    """The files' paths, bound as the parameter $paths: a file's id in a batch is its position (from 0)."""
    return [str(df.path) for df in dfs]


# SQL: the batch's files by id (DuckDB's file_index), with their paths (how the reader's rejects name them).
_FILE_IDS = "(SELECT i AS _fid, $paths[i + 1] AS path FROM range(len($paths)) t(i))"


@dataclass
class _ReadVerdicts:
    """What reading a batch found: the files unusable as a whole (file id -> message)."""

    header: list[str]
    failed: dict[int, str] = field(default_factory=dict)


def _read_into_stage(con: duckdb.DuckDBPyConnection, dfs: list[DropFile], header: list[str] | None,
                     policy: RejectPolicy, utf8: bool = False) -> _ReadVerdicts:
    """Materialise a batch of files (CSV files sharing one header and compression, or one
    parquet file) as text columns (c0, c1, ... in the header's order) with the file's id
    (_fid, its position in dfs) and the line where each record starts (_line), and their
    unreadable rows (UNSPLIT).  A file that is unusable as a whole is named in the verdicts'
    `failed` and left out of STAGE; the others are staged.

    The rows go into a real temporary table before any cast: DuckDB pushes casts in a
    query down into the CSV reader, which would turn TRY_CAST into a hard failure.
    Raises ContractError for the batch as a whole (DuckDB cannot read one of its files).
    """
    # The paths come from the landing folder: bound as a parameter, never spliced into SQL.
    params: dict[str, object] = {"paths": _paths(dfs)}
    con.execute(f"DROP VIEW IF EXISTS {STAGE}")
    for table in (STAGE_READ, STAGE_LINES, READER_REJECTS, READER_REJECT_SCANS, UNSPLIT, LINES, RECORDS, REJECTED_RECORDS):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    if header is None:  # parquet, one file at a time: typed by its writer, every row readable
        (df,) = dfs
        params = {"path": str(df.path)}
        rel = con.execute("SELECT * FROM read_parquet($path) LIMIT 0", params)
        names = [d[0] for d in rel.description]
        as_text = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {stage_column(i)}" for i, c in enumerate(names))
        # file_row_number cannot be asked for when the file has a column of that name.
        numbered = "file_row_number" not in {n.lower() for n in names}
        line = "file_row_number + 1" if numbered else "row_number() OVER ()"
        con.execute(
            f"CREATE TEMP TABLE {STAGE_READ} AS SELECT {as_text}, 0 AS _fid, {line} AS _line "
            f"FROM read_parquet($path{', file_row_number = true' if numbered else ''})",
            params,
        )
        con.execute(f"CREATE TEMP VIEW {STAGE} AS SELECT * FROM {STAGE_READ}")
        # The footer's row count, against the rows decoded: a second count, from the file's own metadata.
        footer = con.execute("SELECT sum(num_rows) FROM parquet_file_metadata($path)", params).fetchone()[0] or 0
        decoded = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        if footer != decoded:
            raise ContractError(f"{df.label}: the parquet footer says {footer} rows, but {decoded} could be decoded: the "
                                "file is corrupt. Re-export it. Nothing from this file was loaded.")
        con.execute(f"CREATE TEMP TABLE {UNSPLIT} (_fid INTEGER, line BIGINT, column_name VARCHAR, error_type VARCHAR, "
                    "csv_line VARCHAR, error_message VARCHAR)")
        return _ReadVerdicts(names)
    # The contract's dialect, stated rather than sniffed: a file in another dialect
    # fails on its header instead of being read as something else.  The table's rowid numbers
    # the rows in the order read, files one after the other (checked below): DuckDB keeps the
    # reader's order when it inserts (preserve_insertion_order, on by default), and reads in
    # parallel (row_number() OVER () would number the rows on one thread, half the speed).
    params["columns"] = {stage_column(i): "VARCHAR" for i in range(len(header))}
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE {STAGE_READ} AS
            SELECT *, CAST(file_index AS INTEGER) AS _fid
            FROM read_csv($paths, auto_detect = false, header = true, columns = $columns,
                          delim = ',', quote = '"', escape = '"', {_csv_options(dfs[0], policy)},
                          store_rejects = true, rejects_table = '{READER_REJECTS}', rejects_scan = '{READER_REJECT_SCANS}')
            """,
            params,
        )
    except duckdb.Error as exc:
        raise ContractError(f"{dfs[0].label}: DuckDB could not read the file: {_first_lines(exc)}. Nothing from this file "
                            "was loaded.") from exc
    _physical_records(con, dfs, policy, utf8)
    # The reader's rejects by file id and record number (as the reader numbers records: header = 1).
    con.execute(
        f"""
        CREATE TEMP TABLE {REJECTED_RECORDS} AS
        SELECT f._fid, CAST(j.line AS BIGINT) AS line, j.column_name, j.error_type, j.csv_line, j.error_message
        FROM {READER_REJECTS} j JOIN {READER_REJECT_SCANS} s ON s.scan_id = j.scan_id AND s.file_id = j.file_id
        JOIN {_FILE_IDS} f ON f.path = s.file_path
        """,
        {"paths": params["paths"]},
    )
    verdicts = _ReadVerdicts(header)
    # Every check of every file in one query; the messages are worked out only for the files that fail one.
    checks = con.execute(
        f"""
        SELECT f._fid, l.header_open, l.last_open, l.opened, l.last_line, l.swallowed,
               coalesce(r.records, 0), coalesce(s.staged, 0), coalesce(s.in_order AND l.in_order, true), coalesce(j.rejected, 0),
               coalesce(j.bad_refs, 0), m.merged_start, coalesce(r.one_per_line, true), coalesce(s.g0, 0)
        FROM {_FILE_IDS} f
        LEFT JOIN (SELECT _fid, bool_or(ends_quoted) FILTER (WHERE n = 1) AS header_open, arg_max(ends_quoted, n) AS last_open,
                          1 + coalesce(max(n) FILTER (WHERE NOT ends_quoted), 0) AS opened, max(n) AS last_line,
                          min(n) FILTER (WHERE starts_quoted AND ends_quoted AND commas = $k) AS swallowed,
                          max(n) = count(*) AS in_order
                   FROM {LINES} GROUP BY 1) l ON l._fid = f._fid
        LEFT JOIN (SELECT _fid, count(*) FILTER (WHERE rec_no >= 2 AND NOT blank) AS records,
                          bool_and(start_line = rec_no AND (rec_no < 2 OR NOT blank)) AS one_per_line
                   FROM {RECORDS} GROUP BY 1) r ON r._fid = f._fid
        LEFT JOIN (SELECT _fid, count(*) AS staged, max(rowid) - min(rowid) + 1 = count(*) AS in_order, min(rowid) AS g0
                   FROM {STAGE_READ} GROUP BY 1) s ON s._fid = f._fid
        LEFT JOIN (SELECT j._fid, count(*) AS rejected,
                          count(*) FILTER (WHERE r.rec_no IS NULL OR r.blank OR r.rec_no < 2) AS bad_refs
                   FROM (SELECT DISTINCT _fid, line FROM {REJECTED_RECORDS}) j
                   LEFT JOIN {RECORDS} r ON r._fid = j._fid AND r.rec_no = j.line GROUP BY 1) j ON j._fid = f._fid
        LEFT JOIN (SELECT j._fid, min(r.start_line) AS merged_start FROM {REJECTED_RECORDS} j
                   JOIN {RECORDS} r ON r._fid = j._fid AND r.rec_no = j.line
                   WHERE r.end_line > r.start_line AND j.error_type IN ('UNQUOTED VALUE', 'TOO MANY COLUMNS', 'MISSING COLUMNS')
                   GROUP BY 1) m ON m._fid = f._fid
        ORDER BY 1
        """,
        {"paths": params["paths"], "k": len(header) - 1},
    ).fetchall()
    one_record_per_line: dict[int, int] = {}  # file id -> its first row's rowid, for the files whose k-th row is on line k + 1
    for (fid, header_open, last_open, opened, last_line, swallowed, records, staged, in_order, rejected, bad_refs, merged,
         one_per_line, g0) in checks:
        if not in_order:
            # Rows are numbered in the order read, each file's after the previous one's; a batch
            # whose files came back interleaved is loaded again one file at a time.
            raise ContractError(f"{dfs[fid].label}: the rows of the files read together came back interleaved. "
                                "Nothing from this file was loaded.")
        message = _file_unusable(con, dfs[fid], fid, len(header), header_open, last_open, opened, last_line,
                                 swallowed, records, staged + rejected, bad_refs, merged)
        if message:
            verdicts.failed[fid] = message
        elif one_per_line and not rejected:
            one_record_per_line[fid] = g0
    # The reader skips blank lines and the records it rejects, and numbers records, not
    # lines: a row's line is the start of the k-th record that is neither.  In a file with
    # neither and no value spanning lines (the usual file), that is line k + 1: worked out
    # as the rows are read, with no join.  STAGE is a view (the rows are not copied again).
    usable = [fid for fid in range(len(dfs)) if fid not in verdicts.failed]
    joined = [fid for fid in usable if fid not in one_record_per_line]
    if joined:
        con.execute(
            f"""
            CREATE TEMP TABLE {STAGE_LINES} AS
            WITH first_row AS (SELECT _fid, min(rowid) AS g0 FROM {STAGE_READ} GROUP BY 1),
            joined AS (SELECT CAST(unnest($joined) AS INTEGER) AS _fid),
            data_lines AS (
                SELECT r._fid, row_number() OVER (PARTITION BY r._fid ORDER BY r.rec_no) AS k, r.start_line
                FROM {RECORDS} r SEMI JOIN joined u ON u._fid = r._fid
                ANTI JOIN {REJECTED_RECORDS} j ON j._fid = r._fid AND j.line = r.rec_no
                WHERE r.rec_no >= 2 AND NOT r.blank
            )
            SELECT g.g0 + d.k - 1 AS _g, d.start_line AS _line FROM data_lines d JOIN first_row g ON g._fid = d._fid
            """,
            {"joined": joined},
        )
    # A view cannot take parameters: the file ids and row numbers are integers, written into it.
    branches = []
    if one_record_per_line:
        fids = sorted(one_record_per_line)
        first = "[" + ", ".join(str(int(one_record_per_line.get(fid, 0))) for fid in range(max(fids) + 1)) + "]"
        only = "" if len(fids) == len(dfs) else f" WHERE list_contains({[int(f) for f in fids]}, s._fid)"
        branches.append(f"SELECT s.*, s.rowid - {first}[s._fid + 1] + 2 AS _line FROM {STAGE_READ} s{only}")
    if joined:
        branches.append(f"SELECT s.*, x._line FROM {STAGE_READ} s JOIN {STAGE_LINES} x ON x._g = s.rowid")
    if not branches:
        branches.append(f"SELECT s.*, CAST(NULL AS BIGINT) AS _line FROM {STAGE_READ} s WHERE false")
    con.execute(f"CREATE TEMP VIEW {STAGE} AS {' UNION ALL '.join(branches)}")
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
        SELECT j._fid, r.start_line AS line,
               CASE WHEN regexp_full_match(j.column_name, 'c[0-9]+') THEN $headers[CAST(substr(j.column_name, 2) AS INTEGER) + 1] END AS column_name,
               j.error_type, j.csv_line, {reason} AS error_message
        FROM {REJECTED_RECORDS} j JOIN {RECORDS} r ON r._fid = j._fid AND r.rec_no = j.line
        WHERE list_contains($usable, j._fid)
        """,
        {"headers": header, "usable": usable},
    )
    # Only STAGE (STAGE_READ and STAGE_LINES) and UNSPLIT are read from here on: the rest is freed before the rows are mapped.
    for table in (REJECTED_RECORDS, LINES, RECORDS):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return verdicts


def _file_unusable(con: duckdb.DuckDBPyConnection, df: DropFile, fid: int, fields: int, header_open: bool | None,
                   last_open: bool | None, opened: int, last_line: int, swallowed: int | None, records: int,
                   parsed: int, bad_refs: int, merged: int | None) -> str | None:
    """Why the CSV file `fid` of the batch is unusable as a whole (the first check it fails, in
    this order), or None.  `parsed` is the records DuckDB's reader read (rows + rejects)."""
    params = {"fid": fid}
    if header_open:
        return (f"{df.label}: line 1 (header): a quote opens a column name that the line does not close. "
                "Nothing from this file was loaded.")
    if last_open:
        start = con.execute(f"SELECT max(start_line) FROM {RECORDS} WHERE _fid = $fid AND start_line <= $n",
                            {**params, "n": opened}).fetchone()[0]
        return (
            f"{df.label}: line {opened}: a quote opens a value that is never closed, so the rest of the file (lines "
            f"{opened}-{last_line}) would be read as one value" + (f" of the record starting on line {start}" if start != opened else "")
            + ". Close or remove the quote (a quote inside a value is written twice, \"\"). Nothing from this file was loaded."
        )
    if parsed != records or bad_refs:
        first_multiline = con.execute(
            f"SELECT max(r.start_line) FROM {RECORDS} r WHERE r._fid = $fid AND r.start_line < "
            f"(SELECT min(n) FROM {LINES} WHERE _fid = $fid AND starts_quoted)", params).fetchone()[0]
        return (
            f"{df.label}: DuckDB's CSV reader read {parsed} records, but the file's lines hold "
            f"{records} (counted a second way, by following the quotes from line to line)"
            + (f"; the first value that spans lines starts on line {first_multiline}" if first_multiline else "")
            + ". A quote or a line end is malformed, so rows could be lost or merged. Fix the export. "
            "Nothing from this file was loaded."
        )
    # A record the reader could not split that spans lines: its quotes are unbalanced, and
    # the records between its lines cannot be told apart (a stray quote closed by another).
    if merged is not None:
        start, end, error = con.execute(
            f"SELECT r.start_line, r.end_line, j.error_type FROM {REJECTED_RECORDS} j JOIN {RECORDS} r "
            "ON r._fid = j._fid AND r.rec_no = j.line WHERE j._fid = $fid AND r.end_line > r.start_line "
            "AND j.error_type IN ('UNQUOTED VALUE', 'TOO MANY COLUMNS', 'MISSING COLUMNS') ORDER BY 1 LIMIT 1", params
        ).fetchone()
        opened = con.execute(f"SELECT min(n) FROM {LINES} WHERE _fid = $fid AND n BETWEEN $a AND $b AND ends_quoted",
                             {**params, "a": start, "b": end}).fetchone()[0] or start
        return (
            f"{df.label}: line {opened}: the CSV reader could not split the record that starts on line {start} and spans "
            f"lines {start}-{end} ({error}): a quote opened on line {opened} is closed only on line {end}, so the records in "
            "between cannot be told apart. Close the quote on its own line (a quote inside a value is written twice, "
            "\"\"). Nothing from this file was loaded."
        )
    # A quoted value may span lines (a note), but not over lines that are records of their
    # own: a stray quote closed by another, rows later, would merge the rows in between into
    # one value that parses (the fields after the closing quote fill the record).
    if swallowed:
        start = con.execute(f"SELECT max(start_line) FROM {RECORDS} WHERE _fid = $fid AND start_line < $n",
                            {**params, "n": swallowed}).fetchone()[0]
        opened = con.execute(f"SELECT min(n) FROM {LINES} WHERE _fid = $fid AND n >= $a AND ends_quoted",
                             {**params, "a": start}).fetchone()[0]
        end = con.execute(f"SELECT end_line FROM {RECORDS} WHERE _fid = $fid AND start_line = $a",
                          {**params, "a": start}).fetchone()[0]
        return (
            f"{df.label}: line {opened}: a quote opened here is closed only on line {end}, and line {swallowed} in between "
            f"looks like a record of its own ({fields} fields, as the header): the rows in between would be read as "
            "one value and lost. Fix the stray quote (a quote inside a value is written twice, \"\"). "
            "Nothing from this file was loaded."
        )
    return None


# The CSV dialect, as regular expressions over one physical line (RE2): a field is quoted
# when it starts (after spaces) with a quote; inside, "" is a quote; after the closing
# quote, anything up to the next comma is part of the field (the reader rejects it, but
# it ends where the line's commas say).  An unquoted field's quotes are plain characters.
_IN_QUOTES = r'(?:[^"]|"")*'
_CLOSE = r'"(?:[^",][^,]*)?'
_FIELD = r'(?: *"' + _IN_QUOTES + _CLOSE + r'| *(?:[^ ",][^,]*)?)'
_ENDS_OPEN = r'(?:' + _FIELD + r',)* *"' + _IN_QUOTES  # from a field's start, the line ends inside quotes
_STAYS_OPEN = _IN_QUOTES + _CLOSE + "," + _ENDS_OPEN  # from inside quotes: closes, and a later field opens


def _follow_quote_state(source: str) -> str:
    """SQL: the lines of `source` (_fid, n, blank, f, commas) with each line's quote state at its
    start and end (see _physical_records), file by file."""
    return f"""
        WITH counted AS (
            SELECT _fid, n, blank, f, commas, coalesce(sum(CASE WHEN f = 1 THEN 1 ELSE 0 END) OVER w, 0) AS flips_before
            FROM {source} WINDOW w AS (PARTITION BY _fid ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ), last_set AS (
            SELECT *,
                   last_value(CASE WHEN f IN (0, 3) THEN f = 3 END IGNORE NULLS) OVER w AS set_to,
                   last_value(CASE WHEN f IN (0, 3) THEN flips_before END IGNORE NULLS) OVER w AS flips_at_set
            FROM counted WINDOW w AS (PARTITION BY _fid ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ), started AS (
            SELECT _fid, n, blank, f, commas,
                   CASE WHEN set_to IS NULL THEN flips_before % 2 = 1
                        ELSE set_to <> ((flips_before - flips_at_set) % 2 = 1) END AS starts_quoted
            FROM last_set
        )
        SELECT _fid, n, blank, starts_quoted, commas,
               CASE f WHEN 2 THEN starts_quoted WHEN 1 THEN NOT starts_quoted WHEN 0 THEN false ELSE true END AS ends_quoted
        FROM started
        """


def _physical_records(con: duckdb.DuckDBPyConnection, dfs: list[DropFile], policy: RejectPolicy,
                      utf8: bool = False) -> None:
    """Count the files' records a second way, independently of DuckDB's CSV parser: DuckDB
    reads each file as raw lines (no quote, no delimiter; Latin-1, so that no byte can fail),
    and SQL follows the quote state from line to line.  Files that verify_integrity found to be
    UTF-8 throughout (`utf8`) are read as UTF-8, which DuckDB reads faster: the same lines, and
    the same quotes, commas and spaces in them (UTF-8 encodes no other character with those
    bytes).  Fills LINES (_fid, n: the line in its file, blank, starts_quoted, commas, ends_quoted) and RECORDS (_fid; rec_no as the parser
    numbers records: header = 1, blank lines included; start_line; end_line; blank).

    Each line is a function of the state at its start (inside quotes or not): a line with
    no quote keeps it, most others flip it or set it.  The state at a line's start is the
    last line that set it, flipped once per flipping line since: window functions, no loop.
    """
    bits = (f"(CASE WHEN regexp_full_match(line, {sql_literal(_ENDS_OPEN)}) THEN 1 ELSE 0 END) + "
            f"(CASE WHEN regexp_full_match(line, {sql_literal(_IN_QUOTES)}) "
            f"OR regexp_full_match(line, {sql_literal(_STAYS_OPEN)}) THEN 2 ELSE 0 END)")
    # f: bit 1 = the line ends inside quotes when it starts outside, bit 2 = ... when it starts inside.
    # 2 keeps the state, 1 flips it, 0 and 3 set it.
    params = {"paths": _paths(dfs)}
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {LINES} AS
            SELECT CAST(file_index AS INTEGER) AS _fid, line IS NULL AS blank,
                   CASE WHEN line IS NULL OR position('"' IN line) = 0 THEN 2 ELSE {bits} END AS f,
                   CASE WHEN position('"' IN coalesce(line, '')) = 0 THEN length(coalesce(line, '')) - length(replace(coalesce(line, ''), ',', '')) END AS commas
            FROM read_csv($paths, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                          delim = '\u2603', quote = '', escape = '', encoding = '{"utf-8" if utf8 else "latin-1"}', new_line = '\\r\\n',
                          strict_mode = false, compression = {"'gzip'" if _is_gzip(dfs[0]) else "'none'"},
                          max_line_size = {RAW_LINE_LIMIT}, buffer_size = {RAW_LINE_LIMIT})
            """,
            params,
        )
    except duckdb.Error as exc:
        raise ContractError(f"{dfs[0].label}: the file's lines cannot be counted: {_first_lines(exc)}. Nothing from this "
                            "file was loaded.") from exc
    # Each line numbered within its file, the files read one after the other (checked in
    # _read_into_stage): its number in the batch less the lines of the files before it.
    # In a file where no line can end inside quotes when it starts outside (no value spans
    # lines: the common case), every line starts and ends outside: the windows of
    # _follow_quote_state would find the same at a high cost (15 s of a 22 s load of 1.8
    # million lines), so only the other files pay them.
    files = [{"fid": fid, "g0": g0, "plain": plain} for fid, g0, plain in con.execute(
        f"SELECT _fid, min(rowid) - 1, bool_and(f IN (0, 2)) FROM {LINES} GROUP BY 1 ORDER BY 1").fetchall()]

    def numbered(plain: bool) -> str:
        return (f"(SELECT l._fid, l.rowid - o.g0 AS n, l.blank, l.f, l.commas FROM {LINES} l "
                f"JOIN (SELECT unnest($files, recursive := true)) o ON o.fid = l._fid WHERE o.plain = {plain})")

    quoted = "" if all(f["plain"] for f in files) else f"UNION ALL ({_follow_quote_state(numbered(False))})"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {LINES} AS
        SELECT _fid, n, blank, false AS starts_quoted, commas, false AS ends_quoted FROM {numbered(True)} {quoted}
        """,
        {"files": files},
    )
    # A file with no line ending inside quotes has a record per line (none starts inside either).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {RECORDS} AS
        WITH spanning AS (SELECT _fid, max(n) AS last_line FROM {LINES} GROUP BY 1 HAVING bool_or(ends_quoted))
        SELECT _fid, n AS rec_no, n AS start_line, n AS end_line, blank FROM {LINES}
        WHERE _fid NOT IN (SELECT _fid FROM spanning)
        UNION ALL
        SELECT l._fid, row_number() OVER w AS rec_no, l.n AS start_line,
               coalesce(lead(l.n) OVER w - 1, e.last_line) AS end_line, l.blank
        FROM {LINES} l JOIN spanning e ON e._fid = l._fid
        WHERE NOT l.starts_quoted WINDOW w AS (PARTITION BY l._fid ORDER BY l.n)
        """
    )


MAPPED = "_funnelcast_mapped"  # temp table: the batch's rows in the contract's columns, still text
PROBLEMS = "_funnelcast_problems"  # temp table: every bad row of the batch being loaded, by file id
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


# A reference to a column of a staged file (s."c3", a lookup's "c0"): cheap to name more than once.
_COLUMN_REF = re.compile(r'(?:[A-Za-z_][A-Za-z0-9_]*\.)?"c[0-9]+"')


def _clean(ref: str) -> str:
    """Text as the contract wants it: trimmed, and empty means null.

    trim copies every value; most values have nothing to trim.  A value whose first and last
    characters are printable ASCII other than the space (trim removes spaces, U+0020 and the
    other Unicode space separators, all beyond ASCII) is its own trimmed, non-empty self and is
    kept as read; any other goes through trim.  Only for a column reference: an expression
    would be worked out three times."""
    if not _COLUMN_REF.fullmatch(ref):
        return f"nullif(trim({ref}), '')"
    return f"(CASE WHEN ord({ref}) BETWEEN 33 AND 126 AND ord({ref}[-1]) BETWEEN 33 AND 126 THEN {ref} ELSE nullif(trim({ref}), '') END)"


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
                counted = _lookup_records(con, ldf, policy, len(header))
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


def _lookup_records(con: duckdb.DuckDBPyConnection, ldf: DropFile, policy: RejectPolicy, fields: int) -> int:
    """A lookup file's records, counted the second way; raises ContractError when its quotes make it unusable."""
    _physical_records(con, [ldf], policy)
    header_open, last_open, opened, last_line, records = con.execute(
        f"SELECT bool_or(ends_quoted) FILTER (WHERE n = 1), arg_max(ends_quoted, n), "
        f"1 + coalesce(max(n) FILTER (WHERE NOT ends_quoted), 0), max(n), "
        f"(SELECT count(*) FILTER (WHERE rec_no >= 2 AND NOT blank) FROM {RECORDS}) FROM {LINES}"
    ).fetchone()
    message = _file_unusable(con, ldf, 0, fields, header_open, last_open, opened, last_line, None, records, records, 0, None)
    if message:
        raise ContractError(message)
    return records


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
        cols.append("s._fid")
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
    # Each typed value is parsed here, once: the problem checks and the insert read the result.
    parsed = [f"{_typed(col, kmap, all_specs[0][col.name], all_specs)} AS {_parsed(i)}"
              for i, col in enumerate(kind.columns) if col.name in all_specs[0] and col.type != "text"]
    con.execute(f"DROP TABLE IF EXISTS {MAPPED}")
    con.execute(f"CREATE TEMP TABLE {MAPPED} AS SELECT *{''.join(', ' + p for p in parsed)} "
                f"FROM ({' UNION ALL '.join(selects)}) AS m")
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


def _parsed(i: int) -> str:
    """MAPPED's column holding the parsed value of the kind's i-th column (one that is not text)."""
    return f"_t{i}"


def _typed(col: Column, kmap: KindMapping, spec: ColumnSpec | None,
           entry_specs: list[dict[str, ColumnSpec]] | None = None) -> str:
    """SQL turning MAPPED's text column into the contract type (NULL when it does not parse)."""
    return _per_entry(col, kmap, spec, entry_specs, typed_expr)


def _collect_problems(con: duckdb.DuckDBPyConnection, kind: FileKind, kmap: KindMapping, specs: dict[str, ColumnSpec],
                      entry_specs: list[dict[str, ColumnSpec]] | None, header: list[str], policy: RejectPolicy) -> None:
    """Every row the reader could not split, and every value that breaks its column's type or
    is implausible (a timestamp outside the window, a decimal the warehouse would round), of
    every file staged: one query for all columns."""
    earliest, latest = policy.timestamp_earliest, policy.timestamp_latest()
    params: dict[str, object] = {}  # DuckDB refuses parameters a query does not use: each is set where it is
    checks = [
        "SELECT _fid, line, column_name, csv_line AS raw_value, error_type || ': ' || error_message AS reason, "
        f"false AS unparsed FROM {UNSPLIT}"
    ]
    for i, col in enumerate(kind.columns):
        if col.name not in specs:
            continue
        src = quote_ident(col.name)
        if col.name in kind.key and col.required:
            params[f"col{i}"] = col.name
            params[f"empty{i}"] = f"empty, but {col.name} is part of the record key ({', '.join(kind.key)}) and must be set"
            checks.append(f"SELECT DISTINCT _fid, _line, $col{i}, NULL, $empty{i}, false FROM {MAPPED} m WHERE {src} IS NULL")
        if col.type == "text":
            continue
        opts = kmap.parser_options(specs[col.name], col.type)
        implausible = "NULL"
        if col.type == "timestamp":
            params.update(earliest=datetime.combine(earliest, datetime.min.time()), latest=latest)
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
        params[f"col{i}"] = col.name
        params[f"bad{i}"] = f"not {expectation(col.type, opts)} (contract type {col.type})"
        # The value was parsed once, in MAPPED: here it is judged.
        checks.append(
            f"""
            SELECT _fid, _line, $col{i}, v, reason, unparsed FROM (
                SELECT _fid, _line, v, t IS NULL AS unparsed,
                       CASE WHEN t IS NULL THEN $bad{i} ELSE {implausible} END AS reason
                FROM (SELECT _fid, _line, _entry, {src}, {src} AS v, {_parsed(i)} AS t FROM {MAPPED} WHERE {src} IS NOT NULL)
            ) AS p WHERE reason IS NOT NULL
            """
        )
    # Each bad row of a record the reader split carries the record as the export has it: one
    # join for all problems (a row the reader could not split is not in STAGE).
    con.execute(f"DROP TABLE IF EXISTS {PROBLEMS}")
    con.execute(
        f"""
        CREATE TEMP TABLE {PROBLEMS} AS
        SELECT p._fid, p.line, p.column_name, p.raw_value, p.reason,
               CASE WHEN s._line IS NOT NULL THEN {record_json(header)} END AS raw_record, p.unparsed
        FROM ({" UNION ALL ".join(f"({c})" for c in checks)}) AS p (_fid, line, column_name, raw_value, reason, unparsed)
        LEFT JOIN {STAGE} s ON s._fid = p._fid AND s._line = p.line
        """,
        params,
    )


def _problem_message(con: duckdb.DuckDBPyConnection, df: DropFile, fid: int, kind: FileKind, kmap: KindMapping,
                     mapping: Mapping, specs: dict[str, ColumnSpec]) -> str:
    """Every problem of the file (`fid` in the batch), one line per bad column (count, first line, value, what was
    expected, and the mapping option that would read it), then the rows the reader could not split."""
    lines = []
    params = {"fid": fid}
    per_column = con.execute(
        f"SELECT column_name, count(DISTINCT line), min(line), arg_min(raw_value, line), arg_min(reason, line) "
        f"FROM {PROBLEMS} WHERE _fid = $fid AND column_name IS NOT NULL GROUP BY 1 ORDER BY min(line), 1", params
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
                f"SELECT DISTINCT raw_value FROM {PROBLEMS} WHERE _fid = $fid AND column_name = $c LIMIT 20",
                {**params, "c": column}).fetchall()]
            fix = suggestion(con, col.type, samples)
            if fix:
                text += f". Fix: set `{fix}` under {spec.where} in {mapping.label}"
        lines.append(text)
    unsplit = con.execute(
        f"SELECT line, reason, raw_value FROM {PROBLEMS} WHERE _fid = $fid AND column_name IS NULL ORDER BY line LIMIT 5",
        params).fetchall()
    total_unsplit = con.execute(
        f"SELECT count(DISTINCT line) FROM {PROBLEMS} WHERE _fid = $fid AND column_name IS NULL", params).fetchone()[0]
    for line, reason, raw in unsplit:
        shown = (raw or "").strip()
        lines.append(f"line {line}: {reason} ({shown[:77] + '...' if len(shown) > 80 else shown!r})")
    if total_unsplit > len(unsplit):
        lines.append(f"... and {total_unsplit - len(unsplit)} more line(s) the CSV reader could not split")
    head = f"{df.label}" + ("" if mapping.name in ("contract", "sugarcrm") else f" ({kind.name}, mapping {mapping.name})")
    if len(lines) == 1:
        return f"{head}: {lines[0]}"
    return f"{head}: {len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines) + "\n "


def _parsers_that_match_nothing(con: duckdb.DuckDBPyConnection, dfs: list[DropFile], kind: FileKind,
                                mapping: Mapping, specs: dict[str, ColumnSpec]) -> dict[int, list[str]]:
    """A parser the mapping sets that reads none of a column's values in a file: the mapping is
    wrong, not the rows.  File id -> one message per such parser."""
    out: dict[int, list[str]] = {}
    for name, spec in specs.items():
        col = kind.column(name)
        if col.type == "text" or not any(k in spec.options for k in PARSER_OPTIONS):
            continue
        per_file = con.execute(
            f"SELECT m._fid, count({quote_ident(name)}), count(DISTINCT p.line), any_value(p.raw_value) FROM {MAPPED} m "
            f"LEFT JOIN {PROBLEMS} p ON p._fid = m._fid AND p.line = m._line AND p.column_name = $c AND p.unparsed "
            "GROUP BY 1 ORDER BY 1",
            {"c": name},
        ).fetchall()
        for fid, given, bad, example in per_file:
            if given and bad >= given:
                opts = {k: v for k, v in spec.options.items() if k in PARSER_OPTIONS}
                out.setdefault(fid, []).append(
                    f"{mapping.label}: {spec.where}: the parser {opts} matches none of the {given} values of column "
                    f"{', '.join(repr(c) for c in spec.source_columns) or name} in {dfs[fid].label}, e.g. {example!r}")
    return out


# Files of a kind are loaded together, in one transaction, up to this much input: the rows of a
# batch are held as text in temporary tables, so the cap bounds the memory a load needs.
MAX_BATCH_BYTES = 256 << 20


@dataclass(frozen=True)
class _Checked:
    """A file to load, its integrity and header checked."""

    df: DropFile
    sha256: str
    header: list[str] | None  # None for parquet: its columns are known once it is read
    size: int
    mtime_ns: int  # the modification time of the stat taken before its sha256 (load_kind)
    utf8: bool  # UTF-8 throughout, no byte order mark (verify_integrity)

    def batch_key(self, kmap: KindMapping) -> tuple | None:
        """Files with the same key can be read by one read_csv; None: the file is loaded alone
        (parquet, or a mapping with lookups, which are joined from the file's own drop)."""
        if self.header is None or kmap.lookups:
            return None
        return (_is_gzip(self.df), tuple(self.header))


def _batches(files: list[_Checked], kmap: KindMapping) -> list[list[_Checked]]:
    """Consecutive files (so that they load in drop order) with one batch key, up to MAX_BATCH_BYTES."""
    out: list[list[_Checked]] = []
    size = 0
    for f in files:
        key = f.batch_key(kmap)
        if out and key is not None and out[-1][0].batch_key(kmap) == key and size + f.size <= MAX_BATCH_BYTES:
            out[-1].append(f)
            size += f.size
        else:
            out.append([f])
            size = f.size
    return out


def _load_batch(con: duckdb.DuckDBPyConnection, batch: list[_Checked], policy: RejectPolicy,
                mapping: Mapping) -> list[FileLoad | str]:
    """Load a batch of files of one kind in one transaction: each file's good rows to raw.<kind>,
    its bad ones to raw.rejected_rows, or nothing of it and its error.  One outcome per file:
    what was loaded, or the error.  A problem of the batch as a whole (DuckDB cannot read one
    of the files, a mapping that does not fit the header) is found again file by file."""
    con.execute("BEGIN TRANSACTION")
    try:
        outcomes = _load_together(con, batch, policy, mapping)
        con.execute("COMMIT")
        return outcomes
    except (ContractError, FileNotFoundError) as exc:
        con.execute("ROLLBACK")
        if len(batch) > 1:
            return [outcome for f in batch for outcome in _load_batch(con, [f], policy, mapping)]
        if isinstance(exc, FileNotFoundError):
            return [_disappeared(batch[0].df)]
        return [str(exc)]
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _load_together(con: duckdb.DuckDBPyConnection, batch: list[_Checked], policy: RejectPolicy,
                   mapping: Mapping) -> list[FileLoad | str]:
    """The work of _load_batch, in its transaction: each file's verdict is known before any row is written."""
    dfs = [f.df for f in batch]
    kind = KINDS[dfs[0].kind]
    kmap = mapping.kinds[kind.name]
    read = _read_into_stage(con, dfs, batch[0].header, policy, all(f.utf8 for f in batch))
    header, errors = read.header, dict(read.failed)
    if batch[0].header is None:
        check_header(dfs[0], header, keeps_extras=kmap.identity)
    usable = [fid for fid in range(len(dfs)) if fid not in errors]
    loads: dict[int, FileLoad] = {}
    if usable:
        specs, extras, entry_specs = _build_mapped(con, dfs[0], kind, kmap, mapping, header, policy)
        _collect_problems(con, kind, kmap, specs, entry_specs, header, policy)
        counts = con.execute(
            f"""
            SELECT f._fid, coalesce(s.staged, 0) + coalesce(u.unreadable, 0), coalesce(p.rejected, 0), coalesce(d.derived, 0)
            FROM {_FILE_IDS} f
            LEFT JOIN (SELECT _fid, count(*) AS staged FROM {STAGE} GROUP BY 1) s ON s._fid = f._fid
            LEFT JOIN (SELECT _fid, count(DISTINCT line) AS unreadable FROM {UNSPLIT} GROUP BY 1) u ON u._fid = f._fid
            LEFT JOIN (SELECT _fid, count(DISTINCT line) AS rejected FROM {PROBLEMS} GROUP BY 1) p ON p._fid = f._fid
            LEFT JOIN (SELECT m._fid, count(*) AS derived FROM {MAPPED} m
                       ANTI JOIN {PROBLEMS} p ON p._fid = m._fid AND p.line = m._line GROUP BY 1) d ON d._fid = f._fid
            WHERE list_contains($usable, f._fid) ORDER BY 1
            """,
            {"paths": _paths(dfs), "usable": usable},
        ).fetchall()
        # The rows as read are not needed any more (PROBLEMS holds the records of the bad ones):
        # freed before the rows are written, the step that needs the most memory.
        con.execute(f"DROP VIEW IF EXISTS {STAGE}")
        for table in (STAGE_READ, STAGE_LINES, UNSPLIT):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        wrong_parsers = _parsers_that_match_nothing(con, dfs, kind, mapping, specs)
        log = []
        for fid, rows_read, rejected, derived in counts:
            df = dfs[fid]
            if fid in wrong_parsers:
                errors[fid] = "\n".join(wrong_parsers[fid]) + ". Nothing from this file was loaded."
            elif rejected and policy.on_bad_rows == "fail":
                errors[fid] = f"{_problem_message(con, df, fid, kind, kmap, mapping, specs)}. Nothing from this file was loaded."
            elif rejected > policy.max_rejected_share * rows_read:
                errors[fid] = (
                    f"{_problem_message(con, df, fid, kind, kmap, mapping, specs)}. {rejected} of {rows_read} rows break the "
                    f"contract, more than max_rejected_share ({policy.max_rejected_share:.0%}): the file looks unusable. "
                    "Nothing from this file was loaded."
                )
            else:
                loads[fid] = FileLoad(df.drop, df.file_name, rows_read - rejected, rejected)
                log.append({"_log_fid": fid, "_log_drop": df.drop, "_log_file": df.file_name, "sha": batch[fid].sha256,
                            "rows_loaded": rows_read - rejected, "rows_read": rows_read, "rows_rejected": rejected,
                            "rows_derived": derived, "file_size": batch[fid].size, "file_mtime_ns": batch[fid].mtime_ns})
        if loads:
            _write_rows(con, kind, kmap, mapping, specs, extras, entry_specs, log, len(dfs))
    con.execute(f"DROP VIEW IF EXISTS {STAGE}")
    for table in (STAGE_READ, STAGE_LINES, READER_REJECTS, READER_REJECT_SCANS, UNSPLIT, LINES, RECORDS, PROBLEMS, MAPPED,
                  *(f"{LOOKUP}{i}" for i in range(len(kmap.lookups)))):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return [loads[fid] if fid in loads else errors[fid] for fid in range(len(dfs))]


def _write_rows(con: duckdb.DuckDBPyConnection, kind: FileKind, kmap: KindMapping, mapping: Mapping,
                specs: dict[str, ColumnSpec], extras: list[str], entry_specs: list[dict[str, ColumnSpec]],
                log: list[dict[str, object]], batch_size: int) -> None:
    """The good files' rows to raw.<kind>, their bad rows to raw.rejected_rows, one load log row each
    (`log`: the files, with their id in the batch and their counts)."""
    for extra in extras:
        # Unknown columns are kept in raw (as text) and ignored downstream.
        con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS {quote_ident(extra)} VARCHAR")
    if not kmap.identity:
        # The export's own record, every column as read, next to the mapped values.
        con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS _source_record JSON")
    columns = [c for c in kind.columns if c.name in specs]
    targets = [quote_ident(c.name) for c in columns] + [quote_ident(e) for e in extras]
    values = [_parsed(kind.columns.index(c)) if c.type != "text" else quote_ident(c.name) for c in columns]
    values += [f"_x{j}" for j in range(len(extras))]
    if not kmap.identity:
        targets.append("_source_record")
        values.append("_source_record")
    # Each row's drop and file are looked up by its file id in two lists (None for a file not loaded),
    # for the rows and the rejected rows alike.  The rows of a file not loaded are left out only when
    # the batch has one, and the bad rows only when a loaded file has some (the usual batch has
    # neither).  The rows go in as MAPPED holds them: nothing downstream reads raw in its physical
    # order (staging orders versions by _drop, _file, _line).
    by_fid: dict[int, dict[str, object]] = {int(e["_log_fid"]): e for e in log}  # type: ignore[call-overload]
    drops = [by_fid[fid]["_log_drop"] if fid in by_fid else None for fid in range(batch_size)]
    files = [by_fid[fid]["_log_file"] if fid in by_fid else None for fid in range(batch_size)]
    good = sorted(by_fid)
    keep = [] if len(by_fid) == batch_size else ["list_contains($good, m._fid)"]
    with_problems = [fid for fid, e in by_fid.items() if e["rows_rejected"]]
    anti = (f"ANTI JOIN (SELECT _fid, line FROM {PROBLEMS} WHERE list_contains($bad, _fid)) p "
            "ON p._fid = m._fid AND p.line = m._line") if with_problems else ""
    insert_params: dict[str, object] = {"drops": drops, "files": files, "snapshot": kmap.snapshot}
    if keep:
        insert_params["good"] = good
    if with_problems:
        insert_params["bad"] = with_problems
    con.execute(
        f"""
        INSERT INTO raw.{kind.name} ({', '.join(targets)}, _drop, _file, _line, _loaded_at, _snapshot)
        SELECT {', '.join(values)}, $drops[m._fid + 1], $files[m._fid + 1], m._line, timezone('UTC', now()), $snapshot
        FROM {MAPPED} m {anti} {'WHERE ' + ' AND '.join(keep) if keep else ''}
        """,
        insert_params,
    )
    con.execute(
        f"""
        INSERT INTO raw.rejected_rows
        SELECT $drops[p._fid + 1], $files[p._fid + 1], $kind, line, column_name, raw_value, reason, raw_record,
               timezone('UTC', now())
        FROM {PROBLEMS} p WHERE list_contains($good, p._fid) ORDER BY p._fid, line, column_name
        """,
        {"drops": drops, "files": files, "good": good, "kind": kind.name},
    )
    con.execute(
        "INSERT INTO raw.load_log (drop_name, file_name, kind, sha256, rows_loaded, loaded_at, rows_read, rows_rejected, "
        "rows_derived, mapping, file_size, file_mtime_ns) SELECT g._log_drop, g._log_file, $kind, g.sha, g.rows_loaded, "
        "timezone('UTC', now()), g.rows_read, g.rows_rejected, g.rows_derived, $mapping, g.file_size, g.file_mtime_ns "
        "FROM (SELECT unnest($log, recursive := true)) g ORDER BY g._log_fid",
        {"log": log, "kind": kind.name, "mapping": mapping.name},
    )


def kinds_provided(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The kinds some drop has provided a file of (even one with no rows): what "a required
    kind no drop provides" is measured against."""
    return {kind for (kind,) in con.execute("SELECT DISTINCT kind FROM raw.load_log").fetchall()}


def _disappeared(df: DropFile) -> str:
    """The error of a file removed from its drop while the run read it (not a contract error: it loads next time)."""
    return f"{df.label}: the file disappeared while it was being loaded; it will be loaded by the next run."


def _first_lines(exc: Exception, n: int = 3) -> str:
    return " / ".join(line.strip() for line in str(exc).splitlines()[:n] if line.strip())


def load_kind(
    con: duckdb.DuckDBPyConnection, landing: Path, kind: str, policy: RejectPolicy = RejectPolicy(),
    mapping: Mapping | None = None, skip_drops: frozenset[str] = frozenset(),
) -> KindLoad:
    """Load every not-yet-loaded file of one kind from every drop.

    A file the load log has is not read again while its size and modification time are the
    recorded ones; otherwise its sha256 says whether it is the file loaded (its new stat is
    then recorded) or a changed one (an error).

    A file that is unusable is skipped whole and its error collected; the caller
    decides to fail (the Dagster asset does, after the good files are in).  The files
    are loaded in batches (_batches), each in one transaction; results and errors are
    reported file by file, in drop order.
    """
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB's default, set here because a row's line is its rowid in the table of rows as read:
    # without it the reader's rows could be stored out of order and numbered wrong.
    con.execute("SET preserve_insertion_order = true")
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
    # What each loaded file was: its sha256, and the size and modification time it had then.
    loaded = {
        (d, f): (sha, size, mtime_ns)
        for d, f, sha, size, mtime_ns in con.execute(
            "SELECT drop_name, file_name, sha256, file_size, file_mtime_ns FROM raw.load_log WHERE kind = ?", [kind]).fetchall()
    }
    outcomes: list[FileLoad | str | _Checked] = []  # per file, in drop order; a _Checked file is still to load
    reverified: list[tuple[str, str, int, int]] = []  # loaded files hashed again, unchanged: their new stat
    # A retracted drop (funnelcast drop retract) stays out until the user restores it.
    for df in (f for f in find_files(landing, kind, mapping, policy.drop_name_pattern) if f.drop not in skip_drops):
        try:
            # Taken before the hash: a write after it moves the modification time on, so the next
            # run hashes the file again.
            stat = df.path.stat()
            previous_sha, previous_size, previous_mtime_ns = loaded.get((df.drop, df.file_name), (None, None, None))
            # A weekly run reads the week's files, not all of history: a loaded file whose size and
            # modification time are the ones recorded is taken as the file loaded (as make and rsync
            # do); any other is hashed again.
            if previous_sha is not None and (previous_size, previous_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                outcomes.append(FileLoad(df.drop, df.file_name, 0, skipped=True))
                continue
            sha = sha256_of(df.path)
        except FileNotFoundError:
            outcomes.append(_disappeared(df))
            continue
        if previous_sha == sha:
            # The same content with another stat (a copied or restored landing folder): recorded, so it
            # is hashed once, not every week.
            reverified.append((df.drop, df.file_name, stat.st_size, stat.st_mtime_ns))
            outcomes.append(FileLoad(df.drop, df.file_name, 0, skipped=True))
            continue
        if previous_sha is not None:
            outcomes.append(
                f"{df.label}: this file changed after it was loaded (sha256 {previous_sha[:12]}... then {sha[:12]}...). "
                "Drops are immutable: put corrections in a new drop."
            )
            continue
        try:
            # Integrity first: no row of a corrupt file is ever used.
            utf8 = verify_integrity(df)
            header = None if df.is_parquet else read_csv_header(df)
            if header is not None:
                check_header(df, header, keeps_extras=kmap.identity)
            outcomes.append(_Checked(df, sha, header, stat.st_size, stat.st_mtime_ns, utf8))
        except ContractError as exc:
            outcomes.append(str(exc))
        except FileNotFoundError:
            outcomes.append(_disappeared(df))
    if reverified:
        con.executemany(
            "UPDATE raw.load_log SET file_size = ?, file_mtime_ns = ? WHERE drop_name = ? AND file_name = ? AND kind = ?",
            [(size, mtime_ns, drop, file_name, kind) for drop, file_name, size, mtime_ns in reverified],
        )
    to_load = [o for o in outcomes if isinstance(o, _Checked)]
    done = {id(f): outcome for batch in _batches(to_load, kmap) for f, outcome in zip(batch, _load_batch(con, batch, policy, mapping))}
    for outcome in outcomes:
        outcome = done[id(outcome)] if isinstance(outcome, _Checked) else outcome
        if isinstance(outcome, FileLoad):
            result.files.append(outcome)
        else:
            result.errors.append(outcome)
    return result
