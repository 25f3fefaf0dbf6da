"""Start a refresh when a new drop folder lands, and only then.

What is loaded is what the build file's load log (raw.load_log) says, whichever run
loaded it: a `funnelcast run`, a scheduled run or one from the UI.  The cursor holds
the drops already requested and not yet in the load log, so a drop is requested
once, even when its run fails (the next scheduled or manual run retries it).  A
retracted drop (ops.retracted_drops) is never new, and a retraction whose marts are
not rebuilt yet requests one run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from funnelcast.settings import settings_in_force
from ingest.drops import find_drops
from orchestration.jobs import weekly_refresh_job
from orchestration.retract import needs_full_refresh, retracted

IN_PROGRESS = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
               dg.DagsterRunStatus.STARTED]


class BuildFileBusy(Exception):
    """A refresh holds the build file's write lock."""


@dataclass(frozen=True)
class BuildFileState:
    loaded: set[str] = field(default_factory=set)  # drops with at least one file in the load log
    retracted: dict[str, dict] = field(default_factory=dict)  # ops.retracted_drops
    pending_rebuild: list[str] = field(default_factory=list)  # retracted, marts not rebuilt without them yet


def build_file_state(build_db: Path) -> BuildFileState:
    """What the build file says was loaded and retracted; nothing when there is no build file yet."""
    if not Path(build_db).exists():
        return BuildFileState()
    try:
        con = duckdb.connect(str(build_db), read_only=True)
    except duckdb.IOException as exc:  # another process is writing it
        raise BuildFileBusy(str(exc)) from exc
    try:
        has_log = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'load_log'"
        ).fetchone()[0]
        loaded = {r[0] for r in con.execute("SELECT DISTINCT drop_name FROM raw.load_log").fetchall()} if has_log else set()
        return BuildFileState(loaded, retracted(con), needs_full_refresh(con))
    finally:
        con.close()


def loaded_drops(build_db: Path) -> set[str]:
    """Drops with at least one file in the load log; none when there is no build file yet."""
    return build_file_state(build_db).loaded


def parse_cursor(cursor: str | None) -> set[str]:
    """The drops requested and not yet loaded.  A cursor of the older kind (a drop name) says nothing."""
    if not cursor:
        return set()
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError:
        return set()
    return set(value.get("requested", [])) if isinstance(value, dict) else set()


def drops_to_request(landed: list[str], loaded: set[str], requested: set[str]) -> list[str]:
    """Landed drops that no run has loaded and none was requested for, in time order."""
    return [d for d in landed if d not in loaded and d not in requested]


@dg.sensor(
    job=weekly_refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests one weekly_refresh run when drop folders that are not in the load log (raw.load_log "
    "of the build file) land in the landing folder; drops already loaded, by any run, never trigger it.",
)
def new_drop_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    # The process's one settings object, the one the code location and its resources were built from.
    settings = settings_in_force()
    # A refresh in progress loads every drop there is; reading the build file now would
    # also contend for its lock with the writer.
    busy = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=weekly_refresh_job.name, statuses=IN_PROGRESS), limit=1
    )
    if busy:
        return dg.SkipReason(f"refresh {busy[0].run_id} is in progress; it loads every new drop")
    try:
        state = build_file_state(settings.build_db)
    except BuildFileBusy:
        return dg.SkipReason(f"{settings.build_db} is being written (a `funnelcast run`?); trying again next tick")
    loaded = state.loaded
    # A retracted drop's folder may stay in the landing folder: it is not new.
    landed = [d for d in find_drops(settings.landing_dir, settings.drop_name_pattern) if d not in state.retracted]
    requested = parse_cursor(context.cursor) - loaded
    new = drops_to_request(landed, loaded, requested)
    cursor = json.dumps({"requested": sorted(requested | set(new))})
    if state.pending_rebuild and not new:
        # A retraction changes the marts as much as a drop does: one run rebuilds them without it
        # (the run key makes it one run per retraction, even if that run fails).
        stamp = "+".join(f"{d}@{state.retracted[d]['retracted_at']:%Y%m%dT%H%M%S}" for d in state.pending_rebuild)
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"retracted:{stamp}",
                                        tags={"funnelcast/retracted": ",".join(state.pending_rebuild)[:200]})],
            cursor=cursor,
        )
    if not new:
        return dg.SensorResult(skip_reason=dg.SkipReason(
            f"no new drop: {len(landed)} landed, {len(set(landed) & loaded)} loaded, "
            f"{len(requested)} requested and not loaded yet"), cursor=cursor)
    # One run for the batch: a run loads every drop not yet loaded, so a run per drop
    # would only queue no-op runs behind the first.
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"drops:{new[0]}..{new[-1]}",
                                    tags={"funnelcast/drops": ",".join(new)[:200]})],
        cursor=cursor,
    )
