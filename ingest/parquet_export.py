"""Parquet copies of the tables dbt reads as sources, for the dbt project's `spark` target.

Spark's tables are folders: each source table is written to <root>/<schema>/<table>/data.parquet
(dbt_project/macros/spark.sql registers each folder as the source table of that name).  The file
is written by DuckDB's COPY beside its final name, under a name Spark's readers skip (a leading
dot), and renamed into place, so a reader sees last run's whole file or this run's, never half a
file.  Which tables: the export contract's file kinds (raw.<kind>) and vocabularies
(vocabulary.<name>), the same lists dbt's sources are rendered from (ingest/contract.py).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.contract import FILE_KINDS, VOCABULARIES
from ingest.sql_text import quote_ident, sql_literal

FILE_NAME = "data.parquet"
# A write under way (or one a killed process left behind): hidden from Spark by its leading dot.
PARTIAL_PREFIX = f".{FILE_NAME}."
PARTIAL_SUFFIX = ".tmp"


def source_tables() -> list[tuple[str, str]]:
    """(schema, table) of every table dbt reads as a source: raw.<kind> and vocabulary.<name>."""
    return [("raw", k.name) for k in FILE_KINDS] + [("vocabulary", v.name) for v in VOCABULARIES]


def parquet_file(root: Path, schema: str, table: str) -> Path:
    """Where `schema.table`'s copy lives under `root`: one folder per table, as Spark reads tables."""
    return Path(root) / schema / table / FILE_NAME


@dataclass(frozen=True)
class ParquetCopy:
    path: Path
    rows: int


def write_parquet(con: duckdb.DuckDBPyConnection, schema: str, table: str, root: Path) -> ParquetCopy:
    """Copy `schema.table` to its Parquet file under `root` (written beside, then renamed into place)."""
    final = parquet_file(root, schema, table)
    final.parent.mkdir(parents=True, exist_ok=True)
    for leftover in final.parent.glob(f"{PARTIAL_PREFIX}*{PARTIAL_SUFFIX}"):
        leftover.unlink(missing_ok=True)  # from a write that was killed; ours get a new name
    partial = final.parent / f"{PARTIAL_PREFIX}{uuid.uuid4().hex[:12]}{PARTIAL_SUFFIX}"
    try:
        relation = f"{quote_ident(schema)}.{quote_ident(table)}"
        copy = f"COPY (SELECT * FROM {relation}) TO {sql_literal(str(partial))} (FORMAT parquet)"
        (rows,) = con.execute(copy).fetchone()
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return ParquetCopy(final, int(rows))
