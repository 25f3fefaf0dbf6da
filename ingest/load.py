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
import fnmatch
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.contract import KINDS, LINEAGE_COLUMNS, Column, FileKind
from ingest.drops import DropFile, find_files, sha256_of
from ingest.mapping import ColumnSpec, KindMapping, Mapping, identity_mapping, template_fields
from ingest.parsers import PARSER_OPTIONS, expectation, sql_literal, suggestion, typed_expr

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


MAPPED = "_funnelcast_mapped"  # temp table: the file's rows in the contract's columns, still text
PROBLEMS = "_funnelcast_problems"  # temp table: every bad row of the file being loaded
LOOKUP = "_funnelcast_lookup_"


@dataclass
class _Source:
    """A table of text columns a mapping reads: the file itself (alias s) or a lookup file."""

    alias: str
    label: str
    columns: dict[str, str]  # lower-case name -> the name in the header


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
                                f"its columns: {', '.join(src.columns.values())}. Nothing from this file was loaded.")
        raise ContractError(f"{self.mapping.label}: {where}: column {name!r} is not in {self.main.label}; its columns: "
                            f"{', '.join(self.main.columns.values())}. Nothing from this file was loaded.")

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
                                f"{', '.join(self.main.columns.values())}. Nothing from this file was loaded.")
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
        otherwise = sql_literal(_scalar(opts["default"])) if "default" in opts else expr
        expr = f"(CASE lower({expr}) {cases} ELSE {otherwise} END)"
    if "present" in opts or "absent" in opts:
        present = sql_literal(_scalar(opts["present"])) if "present" in opts else expr
        expr = f"(CASE WHEN {expr} IS NOT NULL THEN {present} ELSE {sql_literal(_scalar(opts.get('absent')))} END)"
    if "default" in opts and "values" not in opts:
        expr = f"coalesce({expr}, {sql_literal(_scalar(opts['default']))})"
    return expr


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _stage_lookups(con: duckdb.DuckDBPyConnection, df: DropFile, kmap: KindMapping, mapping: Mapping) -> dict[str, _Source]:
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
        header = None if ldf.is_parquet else read_csv_header(ldf)
        try:
            if header is None:
                con.execute(f"CREATE TEMP TABLE {alias} AS SELECT * FROM read_parquet($path)", {"path": str(ldf.path)})
            else:
                con.execute(
                    f"CREATE TEMP TABLE {alias} AS SELECT * FROM read_csv($path, auto_detect = false, header = true, "
                    "columns = $columns, delim = ',', quote = '\"', escape = '\"')",
                    {"path": str(ldf.path), "columns": {h: "VARCHAR" for h in header}},
                )
        except duckdb.Error as exc:
            raise ContractError(f"{df.label}: the lookup file {label} ({lookup.where} of {mapping.label}) cannot be read: "
                                f"{_first_lines(exc)}. Nothing from this file was loaded.") from exc
        columns = {c.strip().lower(): c for c in con.sql(f"SELECT * FROM {alias} LIMIT 0").columns}
        if lookup.key.strip().lower() not in columns:
            raise ContractError(f"{mapping.label}: {lookup.where}.key: column {lookup.key!r} is not in the lookup file "
                                f"{label}; its columns: {', '.join(columns.values())}. Nothing from this file was loaded.")
        key = quote_ident(columns[lookup.key.strip().lower()])
        dupes = con.execute(f"SELECT {_clean(key)}, count(*) FROM {alias} WHERE {_clean(key)} IS NOT NULL "
                            "GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 5").fetchall()
        if dupes:
            raise ContractError(f"{label}: {lookup.where} of {mapping.label} joins on {lookup.key!r}, which must be unique "
                                f"there, but {', '.join(f'{k!r} ({n} rows)' for k, n in dupes)} repeat: a join would "
                                "multiply rows. Nothing from this file was loaded.")
        out[lookup.name] = _Source(alias, label, columns)
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
            specs[col.name] = ColumnSpec(f"kinds.{kind.name}.columns.{col.name}", columns=(main.columns[col.name],))
    return specs


def _build_mapped(
    con: duckdb.DuckDBPyConnection, df: DropFile, kind: FileKind, kmap: KindMapping, mapping: Mapping,
) -> tuple[dict[str, ColumnSpec], list[str]]:
    """MAPPED: the file's rows as the contract's columns (text), one row per record, or per
    record and unpivot entry.  Returns the specs in force and the extra columns kept."""
    header = [c for c in con.sql(f"SELECT * FROM {STAGE} LIMIT 0").columns if c != "_line"]
    if not header or header == ["column0"]:
        raise ContractError(f"{df.label}: the file is empty; expected a header row with the columns {', '.join(kind.required_columns)}")
    by_lower: dict[str, str] = {}
    for name in header:
        key = name.strip().lower()
        if key in by_lower:
            raise ContractError(f"{df.label}: line 1: column {key!r} appears twice in the header")
        by_lower[key] = name
    clash = [h for h in header if h.strip().lower() in LINEAGE_COLUMNS]
    if clash:
        raise ContractError(f"{df.label}: line 1: column(s) {', '.join(clash)} clash with the loader's lineage columns")
    main = _Source("s", df.label, by_lower)
    lookups = _stage_lookups(con, df, kmap, mapping)
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
    extras = [orig for low, orig in by_lower.items() if low not in kind.column_names] if kmap.identity else []
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
        cols += [f"s.{quote_ident(e)} AS {quote_ident(e.strip().lower())}" for e in extras]
        cols.append("s._line")
        cols.append(f"{i} AS _entry")
        if not kmap.identity:
            cols.append("to_json(s) AS _source_record")
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


def _typed(col: Column, kmap: KindMapping, spec: ColumnSpec | None,
           entry_specs: list[dict[str, ColumnSpec]] | None = None) -> str:
    """SQL turning MAPPED's text column into the contract type (NULL when it does not parse).
    With unpivot entries whose parsers differ (a created time and a closing date both
    becoming changed_at), each row is parsed with its own entry's options."""
    def one(s: ColumnSpec | None) -> str:
        return typed_expr(col.type, quote_ident(col.name), kmap.parser_options(s, col.type) if s else {})
    if entry_specs and len(entry_specs) > 1:
        exprs = [one(e.get(col.name)) for e in entry_specs]
        if len(set(exprs)) > 1:
            return "(CASE _entry " + " ".join(f"WHEN {i} THEN {x}" for i, x in enumerate(exprs)) + " END)"
    return one(spec)


def _collect_problems(con: duckdb.DuckDBPyConnection, kind: FileKind, kmap: KindMapping, specs: dict[str, ColumnSpec],
                      entry_specs: list[dict[str, ColumnSpec]] | None = None) -> None:
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
    record = f"(SELECT to_json(s) FROM {STAGE} s WHERE s._line = m._line)"
    for col in kind.columns:
        if col.name not in specs:
            continue
        src = quote_ident(col.name)
        if col.name in kind.key and col.required:
            reason = f"empty, but {col.name} is part of the record key ({', '.join(kind.key)}) and must be set"
            con.execute(
                f"INSERT INTO {PROBLEMS} SELECT DISTINCT _line, $col, NULL, $reason, {record} FROM {MAPPED} m WHERE {src} IS NULL",
                {"col": col.name, "reason": reason},
            )
        if col.type != "text":
            opts = kmap.parser_options(specs[col.name], col.type)
            reason = f"not {expectation(col.type, opts)} (contract type {col.type})"
            con.execute(
                f"INSERT INTO {PROBLEMS} SELECT _line, $col, {src}, $reason, {record} FROM {MAPPED} m "
                f"WHERE {src} IS NOT NULL AND {_typed(col, kmap, specs[col.name], entry_specs)} IS NULL",
                {"col": col.name, "reason": reason},
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
            f"LEFT JOIN {PROBLEMS} p ON p.line = m._line AND p.column_name = $c",
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
    header = None if df.is_parquet else read_csv_header(df)
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            _read_into_stage(con, df, header)
        except duckdb.Error as exc:
            raise ContractError(f"{df.label}: DuckDB could not read the file: {_first_lines(exc)}. Nothing from this file was loaded.") from exc
        specs, extras, entry_specs = _build_mapped(con, df, kind, kmap, mapping)
        _collect_problems(con, kind, kmap, specs, entry_specs)
        staged = con.execute(f"SELECT count(*) FROM {STAGE}").fetchone()[0]
        unreadable = con.execute(f"SELECT count(DISTINCT line) FROM {READER_REJECTS}").fetchone()[0]
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
            con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS {quote_ident(extra.strip().lower())} VARCHAR")
        if not kmap.identity:
            # The export's own record, every column as read, next to the mapped values.
            con.execute(f"ALTER TABLE raw.{kind.name} ADD COLUMN IF NOT EXISTS _source_record JSON")
        columns = [c for c in kind.columns if c.name in specs]
        targets = [quote_ident(c.name) for c in columns] + [quote_ident(e.strip().lower()) for e in extras]
        values = [_typed(c, kmap, specs[c.name], entry_specs) for c in columns] + [quote_ident(e.strip().lower()) for e in extras]
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
        for table in (STAGE, READER_REJECTS, READER_REJECT_SCANS, PROBLEMS, MAPPED,
                      *(f"{LOOKUP}{i}" for i in range(len(kmap.lookups)))):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute("COMMIT")
        return FileLoad(df.drop, df.file_name, loaded, rejected)
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _first_lines(exc: Exception, n: int = 3) -> str:
    return " / ".join(line.strip() for line in str(exc).splitlines()[:n] if line.strip())


def load_kind(
    con: duckdb.DuckDBPyConnection, landing: Path, kind: str, policy: RejectPolicy = RejectPolicy(),
    mapping: Mapping | None = None,
) -> KindLoad:
    """Load every not-yet-loaded file of one kind from every drop.

    A file that is unusable is skipped whole and its error collected; the caller
    decides to fail (the Dagster asset does, after the good files are in).
    """
    con.execute("SET TimeZone = 'UTC'")
    ensure_raw_schema(con)
    mapping = mapping or identity_mapping()
    result = KindLoad(kind)
    loaded = {
        (d, f): sha
        for d, f, sha in con.execute("SELECT drop_name, file_name, sha256 FROM raw.load_log WHERE kind = ?", [kind]).fetchall()
    }
    for df in find_files(landing, kind, mapping):
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
