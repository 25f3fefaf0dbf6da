"""What `funnelcast run` tells a person: progress per phase, then a short summary.

The run's events are read back from the Dagster instance while it runs (the same
records the UI shows), so the progress is what Dagster recorded, not a guess.  The
full Dagster and dbt logs go to a file (cli.py); this module prints only the lines
below.  docs/operations.md shows how to read them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import dagster as dg

POLL_SECONDS = 0.5
# The dbt build's progress is printed at these fractions of its models (not every model).
DBT_MILESTONES = (0.25, 0.5, 0.75, 1.0)

PHASES = ("load the exports", "dbt build", "publish the marts", "write the Monday report")


@dataclass
class RunFacts:
    """Everything the summary says, gathered from the run's events."""

    kinds_total: int = 0
    dbt_models_total: int = 0
    dbt_tests_total: int = 0
    loads: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> materialization metadata
    dbt_models_done: int = 0
    checks: list[tuple[str, str, bool, str]] = field(default_factory=list)  # asset, check, passed, severity
    published: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # step, message, stack trace
    full_refresh: str | None = None  # why the dbt build rebuilt every model from raw; None: it did not have to

    def dbt_checks(self) -> list[tuple[str, str, bool, str]]:
        return [c for c in self.checks if not c[0].startswith(("raw/", "published/"))]


def _value(metadata: dict, key: str, default: Any = None) -> Any:
    entry = metadata.get(key)
    return default if entry is None else getattr(entry, "value", entry)


def failure_message(event: dg.DagsterEvent) -> tuple[str, str]:
    """(what went wrong in the step's own words, the stack trace) of a step failure."""
    data = event.step_failure_data
    if data is None:
        return (event.message or "the step failed", "")
    if data.user_failure_data and data.user_failure_data.description:
        message = data.user_failure_data.description
    elif data.error is not None:
        err = data.error.cause or data.error
        message = err.message
    else:
        message = event.message or "the step failed"
    trace = ""
    if data.error is not None:
        trace = data.error.to_string()
    return message.strip(), trace


def resource_failure_message(event: dg.DagsterEvent) -> tuple[str, str]:
    """(the innermost error's own words, the stack trace) of a failed resource set-up."""
    error = getattr(event.event_specific_data, "error", None)
    if error is None:
        return (event.message or "the run's resources could not be set up", "")
    chain = [error]
    while chain[-1].cause is not None:
        chain.append(chain[-1].cause)
    # A dg.Failure says it in a person's words; below it are the exceptions it explains.
    inner = next((e for e in chain if e.cls_name == "Failure"), chain[-1])
    message = inner.message.strip()
    # "dagster._core.definitions.events.Failure: the build file ..." -> the sentence only.
    message = message.split(": ", 1)[1] if re.match(r"^[\w.]+: ", message) else message
    return message, error.to_string()


class Progress:
    """Polls a run's events in a thread and prints a line per phase and milestone."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, facts: RunFacts, out: TextIO | None):
        self.instance, self.run_id, self.facts, self.out = instance, run_id, facts, out
        self._cursor: str | None = None
        self._phase = -1
        self._dbt_milestone = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="funnelcast-progress", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()  # whatever arrived after the last tick

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self.poll()

    def _say(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def _enter(self, phase: int) -> None:
        while self._phase < phase:
            self._phase += 1
            self._say(f"[{self._phase + 1}/{len(PHASES)}] {PHASES[self._phase]}")

    def poll(self) -> None:
        while True:
            conn = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=500)
            for record in conn.records:
                event = record.event_log_entry.dagster_event
                if event is not None:
                    self.handle(event)
            self._cursor = conn.cursor
            if not conn.has_more:
                return

    def handle(self, event: dg.DagsterEvent) -> None:
        facts = self.facts
        kind = event.event_type
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            path = mat.asset_key.path
            metadata = dict(mat.metadata)
            if path[0] == "raw":
                self._enter(0)
                facts.loads[path[-1]] = {k: _value(metadata, k) for k in
                                         ("rows_loaded", "files_loaded", "files_already_loaded", "rows_quarantined",
                                          "drops_loaded", "rows_total")}
                self._say("      " + load_line(path[-1], facts.loads[path[-1]]))
            elif path == ["published", "marts_file"]:
                self._enter(2)
                facts.published = {k: _value(metadata, k) for k in ("path", "tables", "latest_drop", "previous_file",
                                                                    "previous_file_state")}
                self._say(f"      {facts.published['tables']} tables -> {facts.published['path']}")
                if facts.published.get("previous_file_state") in ("damaged", "held"):
                    self._say(f"      the previous file: {facts.published['previous_file']}")
            elif path == ["published", "monday_report"]:
                self._enter(3)
                facts.report = {k: _value(metadata, k) for k in ("path", "figures", "bytes")}
                self._say(f"      {facts.report['figures']} charts -> {facts.report['path']}")
            else:
                self._enter(1)
                facts.dbt_models_done += 1
                self._dbt_progress()
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = event.event_specific_data
            facts.checks.append((ev.asset_key.to_user_string(), ev.check_name, ev.passed, ev.severity.value))
        elif kind == dg.DagsterEventType.STEP_START and event.step_key and "dbt" in event.step_key:
            self._enter(1)
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            message, trace = failure_message(event)
            facts.failures.append((event.step_key or "", message, trace))
        elif kind == dg.DagsterEventType.RESOURCE_INIT_FAILURE:
            # The build file's lock is checked once, when the run sets up its resources:
            # no step starts, so this is the run's only failure.
            message, trace = resource_failure_message(event)
            facts.failures.append(("(starting the run)", message, trace))

    def _dbt_progress(self) -> None:
        facts = self.facts
        total = max(facts.dbt_models_total, 1)
        while (self._dbt_milestone < len(DBT_MILESTONES)
               and facts.dbt_models_done >= DBT_MILESTONES[self._dbt_milestone] * total):
            self._dbt_milestone += 1
            tests = len(facts.dbt_checks())
            self._say(f"      models and seeds {facts.dbt_models_done} of {facts.dbt_models_total}, "
                      f"tests {tests} of {facts.dbt_tests_total}")


def load_line(kind: str, load: dict[str, Any]) -> str:
    rows, files = load.get("rows_loaded") or 0, load.get("files_loaded") or 0
    if not files:
        return f"{kind:<22} nothing new ({load.get('files_already_loaded') or 0} files loaded before)"
    line = f"{kind:<22} {rows:>10,} rows from {files} file{'s' if files != 1 else ''}"
    if load.get("rows_quarantined"):
        line += f", {load['rows_quarantined']:,} quarantined"
    return line


def test_counts(checks: Iterable[tuple[str, str, bool, str]]) -> tuple[int, int, int]:
    passed = warned = failed = 0
    for _, _, ok, severity in checks:
        if ok:
            passed += 1
        elif severity == "WARN":
            warned += 1
        else:
            failed += 1
    return passed, warned, failed


def summary_lines(facts: RunFacts, *, ok: bool, seconds: float, build_db: Path, log_file: Path | None) -> list[str]:
    loads = facts.loads.values()
    drops = sorted({d.strip() for load in loads for d in str(load.get("drops_loaded") or "").split(",")
                    if d.strip() and d.strip() != "none"})
    rows = sum(load.get("rows_loaded") or 0 for load in loads)
    quarantined = sum(load.get("rows_quarantined") or 0 for load in loads)
    dbt = facts.dbt_checks()
    passed, warned, failed = test_counts(dbt)
    lines = ["", "Summary" if ok else "Summary (the run FAILED)"]
    span = f" ({drops[0]} .. {drops[-1]})" if len(drops) > 1 else (f" ({drops[0]})" if drops else "")
    lines.append(f"  loaded:        {len(drops)} new drop{'s' if len(drops) != 1 else ''}{span}, {rows:,} rows")
    if quarantined:
        lines.append(f"  quarantined:   {quarantined:,} rows broke the export contract and were kept aside: "
                     f"see raw.rejected_rows in {build_db}")
        lines.append("                 (SELECT drop_name, file_name, line, column_name, raw_value, reason "
                     "FROM raw.rejected_rows ORDER BY ALL)")
    else:
        lines.append("  quarantined:   0 rows")
    if facts.full_refresh:
        lines.append(f"  dbt build:     full refresh, every model rebuilt from raw: {facts.full_refresh}")
    lines.append(f"  dbt tests:     {passed} passed, {warned} warned, {failed} failed"
                 + (f" (of {facts.dbt_tests_total})" if facts.dbt_tests_total else ""))
    for asset, check, good, severity in dbt:
        if not good:
            lines.append(f"                 {'warned' if severity == 'WARN' else 'FAILED'}: {check} on {asset}")
    others = [c for c in facts.checks if c not in dbt]
    for asset, check, good, severity in others:
        if not good:  # the loaders' and the published file's own checks (the quarantine is said above)
            if check != "no_rejected_rows":
                lines.append(f"  check {'warned' if severity == 'WARN' else 'FAILED'}: {check} on {asset}")
    if facts.published:
        lines.append(f"  published:     {facts.published['tables']} marts to {facts.published['path']}")
        if facts.published.get("previous_file_state") in ("damaged", "held"):
            lines.append(f"                 the previous file: {facts.published['previous_file']}")
    else:
        lines.append("  published:     nothing (the published file is as it was)")
    if facts.report:
        lines.append(f"  report:        {facts.report['path']}")
    lines.append(f"  time:          {format_seconds(seconds)}")
    if log_file is not None:
        lines.append(f"  full log:      {log_file}")
    return lines


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def failure_lines(facts: RunFacts) -> list[str]:
    """The failing steps' own messages: first and plain, the traces only in the log."""
    lines = []
    for step, message, _ in facts.failures:
        lines.append(f"weekly refresh FAILED at step {step}:")
        lines += [f"  {line}" for line in message.splitlines()]
    return lines


def traces(facts: RunFacts) -> list[str]:
    return [trace for _, _, trace in facts.failures if trace]


def now() -> float:
    return time.monotonic()
