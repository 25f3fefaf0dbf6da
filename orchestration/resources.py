"""Resources: the build DuckDB file, dbt and the settings, all from one settings object."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from funnelcast.settings import Settings
from orchestration.dbt_project import WarehouseDbtResource, dbt_executable, dbt_project

# How long an open waits for a lock to go away before failing.  Long enough for the
# sensor's or `funnelcast drop list`'s read of the load log (milliseconds), far shorter
# than dagster-duckdb's own backoff (about 100 s per step, 22 minutes over a run).
LOCK_PATIENCE_SECONDS = 3.0


class BuildFileLocked(Exception):
    """Another process holds the build file's DuckDB lock."""


def lock_holder(message: str) -> str:
    """The process DuckDB names in its lock error, with its command line when it is ours to read."""
    found = re.search(r"held in (.+?) \(PID (\d+)\)", message)
    if not found:
        return "another process"
    program, pid = found.groups()
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        command = " ".join(a.decode(errors="replace") for a in args if a)[:200]
    except OSError:
        command = program
    return f"process {pid} ({command or program})"


def locked_message(build_db: str, published_db: str | None, error: str) -> str:
    return (
        f"the build file {build_db} is locked by {lock_holder(error)}: a client (DBeaver, a notebook, the duckdb "
        "CLI) has it open, and DuckDB lets no one write a file another process has open. Close that connection "
        "(or stop the process) and run again; nothing was loaded or published by this run. "
        + (f"Analysts and tools must open the published file {published_db} instead: it is replaced atomically and "
           "never blocks a run." if published_db else "")
    )


def open_build_file(database: str, published_db: str | None = None, config: dict | None = None,
                    patience: float = LOCK_PATIENCE_SECONDS) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the build file, or BuildFileLocked after `patience` seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return duckdb.connect(database, read_only=False, config=config or {})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise BuildFileLocked(locked_message(database, published_db, str(exc))) from exc
            time.sleep(0.25)


class WarehouseResource(DuckDBResource):
    """The build file, failing fast when a reader holds it.

    dagster-duckdb retries a locked file for about 100 s on every open; over the thirteen
    loaders that is 22 minutes before a run fails.  This checks once when the run starts
    (a resource is set up once per run by the in-process executor, for the CLI and for
    runs the daemon launches alike) and fails the run with the holder's PID; an open later
    in the run fails the same way, at once.

    `connection_config` carries DuckDB's memory_limit, threads and temp_directory from the
    settings (`Settings.duckdb_config`), applied to every connection it opens.
    """

    published_db: str | None = None

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        try:
            open_build_file(self.database, self.published_db, self.connection_config).close()
        except BuildFileLocked as exc:
            raise dg.Failure(description=str(exc)) from exc

    @contextmanager
    def get_connection(self):
        try:
            con = open_build_file(self.database, self.published_db, {"custom_user_agent": "dagster",
                                                                     **self.connection_config})
        except BuildFileLocked as exc:
            raise dg.Failure(description=str(exc)) from exc
        try:
            yield con
        finally:
            con.close()


def build_resources(settings: Settings) -> dict[str, object]:
    """The resources of the code location, all from the one settings object of the process."""
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": WarehouseResource(database=str(settings.build_db), published_db=str(settings.published_db),
                                    connection_config=settings.duckdb_config()),
        "dbt": WarehouseDbtResource(project_dir=dbt_project(), dbt_executable=dbt_executable(),
                                    env=settings.dbt_env()),
        # The object itself: assets take `settings: dg.ResourceParam[Settings]`.
        "settings": dg.ResourceDefinition.hardcoded_resource(settings, "the settings in force (funnelcast.yaml)"),
    }
