"""Writing the drops: every record's last version of each drop, buffered and appended
to <out>/<drop>/<kind>.csv in the export contract's columns (ingest/contract.py)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.contract import FILE_KINDS as CONTRACT_KINDS, KINDS
from sample_exports.simulation.clock import fmt_ts

if TYPE_CHECKING:
    from sample_exports.simulation.company import Sim

# The generator writes a SugarCRM export: its stage history is the audit log, so the
# state-history kind (other CRMs' shape) is not among its files.
FILE_KINDS = tuple(k for k in CONTRACT_KINDS if k.name != "opportunity_history")
FLUSH_ROWS = 200_000  # rows buffered in memory before they are appended to the files


@dataclass
class GenerateSummary:
    out: Path
    scale: str
    seed: int
    drops: list[str]
    rows_per_kind: dict[str, int]
    total_rows: int
    rows_per_drop: dict[str, int] = field(default_factory=dict)


class DropWriter:
    """Appends rows to <out>/<drop>/<kind>.csv, buffering FLUSH_ROWS rows in memory.

    A file is created (with its header) on its first flush, so a delta drop holds only
    the kinds that changed that week; ``close`` adds header-only files to the first drop
    for kinds that had no rows, so the full export always has every file kind.
    """

    def __init__(self, out: Path, drops: list[str], flush_rows: int = FLUSH_ROWS) -> None:
        self.out = out
        self.drops = drops
        self.flush_rows = flush_rows
        self.rows_per_kind = {k.name: 0 for k in FILE_KINDS}
        self.rows_per_drop = {d: 0 for d in drops}
        self._buffers: dict[tuple[int, str], list[tuple]] = {}
        self._pending = 0
        self._started: set[tuple[int, str]] = set()

    def add(self, drop: int | None, kind: str, row: tuple) -> None:
        if drop is None:  # after AS_OF: not exported yet
            return
        buf = self._buffers.get((drop, kind))
        if buf is None:
            buf = self._buffers[(drop, kind)] = []
        buf.append(row)
        self._pending += 1
        if self._pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        for (drop, kind), rows in sorted(self._buffers.items()):
            self._write((drop, kind), rows)
            self.rows_per_kind[kind] += len(rows)
            self.rows_per_drop[self.drops[drop]] += len(rows)
        self._buffers.clear()
        self._pending = 0

    def close(self) -> None:
        self.flush()
        for kind in FILE_KINDS:
            if (0, kind.name) not in self._started:
                self._write((0, kind.name), [])

    def _write(self, key: tuple[int, str], rows: list[tuple]) -> None:
        drop, kind = key
        folder = self.out / self.drops[drop]
        first = key not in self._started
        if first:
            folder.mkdir(parents=True, exist_ok=True)
            self._started.add(key)
        with open(folder / f"{kind}.csv", "w" if first else "a", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            if first:
                writer.writerow(KINDS[kind].column_names)
            writer.writerows(rows)


COLUMNS: dict[str, tuple[str, ...]] = {k.name: tuple(k.column_names) for k in FILE_KINDS}


class Record:
    """One CRM record and its changes; writes its last version of each drop.

    Changes may be added out of time order (an account is made a Customer by a deal won
    later in the story than an owner hand-over added earlier); ``emit`` sorts them.
    """

    __slots__ = ("kind", "initial", "changes")

    def __init__(self, kind: str, ts: int, fields: dict) -> None:
        self.kind = kind
        self.initial = fields
        self.changes: list[tuple[int, dict]] = [(ts, {})]

    @property
    def id(self) -> str:
        return self.initial["id"]

    def change(self, ts: int, **fields) -> None:
        self.changes.append((ts, fields))

    @property
    def last_ts(self) -> int:
        return max(ts for ts, _ in self.changes)

    def emit(self, sim: Sim) -> None:
        cols = COLUMNS[self.kind]
        versioned = "date_modified" in cols
        row = dict.fromkeys(cols)
        row.update(self.initial)
        last: dict[int, tuple] = {}
        for ts, fields in sorted(self.changes, key=lambda c: c[0]):
            drop = sim.clock.drop_of(ts)
            if drop is None:
                break
            row.update(fields)
            if versioned:
                row["date_modified"] = fmt_ts(ts)
            last[drop] = tuple(row[c] for c in cols)
        for drop, values in last.items():
            sim.writer.add(drop, self.kind, values)


