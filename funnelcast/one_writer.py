"""The one-writer rule: one process at a time writes the build file.

DuckDB lets one process hold a database file read-write; a second writer fails on its
lock.  Four mechanisms keep Funnelcast's writers apart, each where the others cannot
reach (docs/configuration.md, "One writer"), and all take their names and limit from here:

* the Dagster pool `WRITER_POOL`: every asset that writes the build file claims a slot,
  so two steps never write at once, in one run or across runs;
* the run tag `WRITER_RUN_TAG`: the daemon's run queue starts at most `WRITER_LIMIT`
  tagged run (a weekly refresh) at a time, so the schedule, the sensor and the UI queue
  behind one another instead of failing on the pool;
* both limits go into the Dagster instance's dagster.yaml (`dagster_concurrency`),
  which `funnelcast` writes when it creates DAGSTER_HOME;
* the file lock `writer_lock_file(build_db)`: `funnelcast run`, `funnelcast docs` and
  `funnelcast drop retract/restore` run outside the daemon's queue, so they hold an
  operating-system lock beside the build file that a second one waits for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# How many processes may write the build file at once: DuckDB's limit.
WRITER_LIMIT = 1
# The Dagster pool of every asset that writes the build file.
WRITER_POOL = "funnelcast_warehouse"
# The tag of the weekly refresh run, limited to WRITER_LIMIT runs in progress.
WRITER_RUN_TAG = "funnelcast/warehouse-writer"


def writer_lock_file(build_db: Path) -> Path:
    """The file the CLI's writers lock (fcntl) while they write the build file."""
    return Path(build_db).with_suffix(".lock")


def dagster_concurrency() -> dict[str, Any]:
    """The `concurrency` block of the Dagster instance's dagster.yaml."""
    return {
        "pools": {"default_limit": WRITER_LIMIT},
        "runs": {"tag_concurrency_limits": [{"key": WRITER_RUN_TAG, "limit": WRITER_LIMIT}]},
    }
