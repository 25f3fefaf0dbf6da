"""Dagster's SQLite event log, with its connections kept open between events.

Dagster's own SqliteEventLogStorage creates a new SQLAlchemy engine, opens the run's
(and the index's) SQLite file and syncs it to disk for every event it stores.  A weekly
refresh stores about 1,700 events (every dbt model's output and materialisation, every
dbt test's check evaluation, the runs' planned assets), at 4 to 6 connections each:
measured on medium, a third of a refresh with nothing new to load was spent there.

This storage is the same one (same files, same tables, same layout under
$DAGSTER_HOME/history/runs), except that:
- each shard's engine is kept and its connections pooled (per process: a forked child
  opens its own), for the few shards a process uses at once;
- SQLite's `synchronous` is NORMAL: in WAL mode (Dagster's) a commit is not synced to
  disk at once, so a power cut may lose the last events, but the file is never corrupt.
  The warehouse's own files (DuckDB) are not affected.

`funnelcast` writes it into a new DAGSTER_HOME's dagster.yaml (orchestration/cli.py);
a DAGSTER_HOME that has its own dagster.yaml keeps what it says.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# Shards a process keeps open: the run being executed and the index, plus the runs the UI shows.
ENGINES_KEPT = 8


def _dispose(engine: Engine, opened_by_pid: int) -> None:
    # A forked child must not close its parent's connections: it only forgets them.
    engine.dispose(close=opened_by_pid == os.getpid())


def _sync_normally(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose shards' engines live as long as the storage (see the module's doc)."""

    def __init__(self, base_dir: str, inst_data: Any = None):
        self._engines: OrderedDict[tuple[int, str], Engine] = OrderedDict()
        # The cache's own lock: has_table takes an engine without the storage's _db_lock.
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        # The parent's names its own class: without this dagster.yaml would get the unpooled one.
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            return self._cached_engine(shard)

    def _cached_engine(self, shard: str) -> Engine:
        key = (os.getpid(), shard)
        engine = self._engines.get(key)
        if engine is not None:
            self._engines.move_to_end(key)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            # The pool hands each connection to one thread at a time, not always the thread that opened it.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sync_normally)
        self._engines[key] = engine
        while len(self._engines) > ENGINES_KEPT:
            (pid, _), oldest = self._engines.popitem(last=False)
            _dispose(oldest, pid)
        return engine

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            while self._engines:
                (pid, _), engine = self._engines.popitem()
                _dispose(engine, pid)

    def has_table(self, table_name: str) -> bool:
        # Asked before every asset check event is stored (supports_asset_checks).
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, table_name))

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def wipe(self) -> None:
        # The run shards' files are deleted: no pooled connection may keep writing to them.
        with self._db_lock:
            self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            self._dispose_engines()
        super().dispose()
