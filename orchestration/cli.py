"""`funnelcast`: generate sample exports, run the weekly refresh, retract a drop, rebuild the report, open the UI or the docs."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import sys
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_TEMPLATE = Path(__file__).resolve().parent / "dagster.yaml"


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME as set, else ./.dagster; given Funnelcast's instance settings when new."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(instance_settings(home), encoding="utf-8")
    else:
        follow_moved_home(home)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


EVENT_LOG_STORAGE_CLASS = "PooledSqliteEventLogStorage"


def event_log_folder(home: Path) -> str:
    """Where Dagster keeps a home's event log (its own default place)."""
    return str(home / "history" / "runs")


def _yaml_line(mapping: dict) -> str:
    import yaml

    return yaml.safe_dump(mapping, sort_keys=False, width=1 << 20).strip()


def instance_settings(home: Path) -> str:
    """orchestration/dagster.yaml, with the concurrency limits of the one-writer rule and the
    event log storage (orchestration/event_log_storage.py, in Dagster's own place under `home`) added."""
    import yaml

    from funnelcast.one_writer import dagster_concurrency

    event_log = {"module": "orchestration.event_log_storage", "class": EVENT_LOG_STORAGE_CLASS,
                 "config": {"base_dir": event_log_folder(home)}}
    return (INSTANCE_TEMPLATE.read_text(encoding="utf-8")
            + "# The one-writer rule (funnelcast/one_writer.py): one writer of the build file at a time.\n"
            + yaml.safe_dump({"concurrency": dagster_concurrency()}, sort_keys=False)
            + "# Dagster's SQLite event log with its connections kept open (orchestration/event_log_storage.py).\n"
            + "# Its folder is absolute (Dagster's config has no path relative to the home): funnelcast\n"
            + "# rewrites it when the home was copied or moved.\n"
            + _yaml_line({"event_log_storage": event_log}) + "\n")


def follow_moved_home(home: Path) -> None:
    """Point a copied or moved home's event log at its own folder: left as it was, the copy
    would write its runs' events into the original's."""
    import yaml

    settings = home / "dagster.yaml"
    text = settings.read_text(encoding="utf-8")
    storage = (yaml.safe_load(text) or {}).get("event_log_storage") or {}
    written = (storage.get("config") or {}).get("base_dir")
    if storage.get("class") != EVENT_LOG_STORAGE_CLASS or written is None or written == event_log_folder(home):
        return
    old, new = _yaml_line({"base_dir": written}), _yaml_line({"base_dir": event_log_folder(home)})
    if text.count(old) == 1:
        settings.write_text(text.replace(old, new), encoding="utf-8")


@contextmanager
def writer_lock(build_db: Path, wait: bool = True):
    """Hold the build file's writer lock (funnelcast/one_writer.py) and yield True.

    When another process holds it: with `wait`, wait for it (a second `funnelcast run`
    runs after the first); without, yield False at once.
    """
    from funnelcast.one_writer import writer_lock_file

    lock_file = writer_lock_file(build_db)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            print(f"another refresh is writing {build_db}; waiting for it to finish...", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield True


def cmd_generate(args: argparse.Namespace) -> int:
    from sample_exports import generate

    summary = generate(Path(args.out), scale=args.scale, seed=args.seed, weeks=args.weeks, progress=not args.quiet)
    print(f"wrote {len(summary.drops)} drops ({summary.drops[0]} .. {summary.drops[-1]}), "
          f"{summary.total_rows:,} rows, to {Path(args.out).resolve()}")
    return 0


CLI_RUN_TAG = "funnelcast/cli"


def fail_orphaned_cli_runs(instance) -> None:
    """Mark as failed the `funnelcast run` runs whose process died (killed, crashed).

    Called while holding the refresh lock, so no other `funnelcast run` is alive: a
    CLI run still marked in progress lost its process.  Its open DuckDB transaction
    was rolled back; this run redoes its work.  Runs the daemon launched are left alone.
    """
    import dagster as dg

    orphans = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
                              tags={CLI_RUN_TAG: "true"})
    )
    for run in orphans:
        instance.report_run_failed(run, "The process running this refresh died (killed or crashed). "
                                   "Its uncommitted work was rolled back; the next run redid it.")
        # Its claim on the warehouse pool died with it; left in place, the slot would
        # make every later run wait forever for the pool.
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        print(f"marked run {run.run_id} as failed: its process died", file=sys.stderr)


@contextmanager
def logs_to(log_file: Path):
    """Send everything this process and its children write (Dagster's and dbt's logs) to `log_file`.

    File descriptors 1 and 2 are redirected, not only sys.stdout: dbt runs as a child
    process and logging handlers hold the streams they were created with.  Yields the
    terminal's stdout and stderr, for the lines meant for a person.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    out = os.fdopen(os.dup(saved[0]), "w", buffering=1)
    err = os.fdopen(os.dup(saved[1]), "w", buffering=1)
    try:
        yield out, err
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (out, err):
            f.close()
        for d in saved:
            os.close(d)


def run_log_path(home: Path, run_id: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return home / "logs" / f"refresh-{stamp}-{run_id[:8]}.log"


def cmd_run(args: argparse.Namespace) -> int:
    from funnelcast.settings import choose_settings_file, settings_in_force

    # The one settings object of this process: the code location imported below takes it too.
    if args.config:
        choose_settings_file(args.config)
    settings = settings_in_force()
    mapping = checked_mapping(settings)
    if mapping is None:
        return 2
    home = ensure_dagster_home()

    import dagster as dg

    from orchestration import report_run
    from orchestration.assets.dbt import funnelcast_dbt_assets
    from orchestration.assets.raw import raw_assets
    from orchestration.definitions import defs
    from orchestration.jobs import FULL_REFRESH_TAG

    job = defs.resolve_job_def("weekly_refresh")
    run_id = str(uuid.uuid4())
    log_file = None if args.verbose else run_log_path(home, run_id)
    facts = report_run.RunFacts(kinds_total=len(raw_assets), dbt_models_total=len(funnelcast_dbt_assets.keys),
                                dbt_tests_total=len(funnelcast_dbt_assets.check_keys))
    tags = {CLI_RUN_TAG: "true", **({FULL_REFRESH_TAG: "true"} if args.full_refresh else {})}
    started = report_run.now()
    with writer_lock(settings.build_db), dg.DagsterInstance.get() as instance:
        fail_orphaned_cli_runs(instance)
        facts.full_refresh = full_refresh_reason(args.full_refresh, settings.build_db)
        print(f"weekly refresh{' (full refresh)' if facts.full_refresh else ''}, run {run_id[:8]}"
              + (f"; full Dagster and dbt logs: {log_file}" if log_file else ""), flush=True)
        with contextlib.ExitStack() as stack:
            out, err = stack.enter_context(logs_to(log_file)) if log_file else (None, sys.stderr)
            try:
                with report_run.Progress(instance, run_id, facts, out):
                    result = job.execute_in_process(instance=instance, raise_on_error=False, run_id=run_id, tags=tags)
                ok = result.success
            except Exception as exc:  # noqa: BLE001 - a person needs the message, the trace goes to the log
                traceback.print_exc()
                facts.failures.append(("(the run itself)", f"{type(exc).__name__}: {exc}", ""))
                ok = False
            # The failing step's own message comes first, then the summary; traces stay in the log.
            if not ok:
                for line in report_run.failure_lines(facts) or [f"weekly refresh FAILED (run {run_id})"]:
                    print(line, file=err, flush=True)
                if log_file:
                    print(f"  stack traces and the full log: {log_file}", file=err, flush=True)
                else:
                    for trace in report_run.traces(facts):
                        print(trace, file=err, flush=True)
                print(f"  the run in the Dagster UI (funnelcast ui): run {run_id}", file=err, flush=True)
            for line in unmatched_file_lines(settings, mapping) + retracted_folder_lines(settings):
                print(line, file=out or sys.stdout, flush=True)
            summary = report_run.summary_lines(facts, ok=ok, seconds=report_run.now() - started,
                                               build_db=settings.build_db, log_file=log_file)
            print("\n".join(summary), file=out or sys.stdout, flush=True)
    return 0 if ok else 1


def full_refresh_reason(asked: bool, build_db: Path) -> str | None:
    """Why this run's dbt build rebuilds every model from raw, or None when it does not
    (the dbt asset decides the same way: the run's tag, or a retraction not rebuilt yet)."""
    if asked:
        return "asked for (--full-refresh)"
    pending = [d for d, r in retracted_in_build_file(build_db).items() if r["rebuilt_by_run"] is None]
    return f"the retracted drop(s) {', '.join(pending)} are left out" if pending else None


def checked_mapping(settings):
    """The mapping in force and its vocabulary files, checked before any work starts: a
    mistake in the user's own files is told plainly (file and key), not as a failed step."""
    from ingest.mapping import MappingError
    from ingest.vocabularies import VocabularyError

    try:
        mapping = settings.load_mapping()
        settings.vocabulary_files()
    except (MappingError, VocabularyError) as exc:
        print(f"weekly refresh not started: {exc}", file=sys.stderr)
        return None
    return mapping


def retracted_in_build_file(build_db: Path) -> dict[str, dict]:
    """ops.retracted_drops, read-only; empty when there is no build file or it cannot be read now."""
    import duckdb

    from orchestration.retract import retracted

    if not build_db.exists():
        return {}
    try:
        with duckdb.connect(str(build_db), read_only=True) as con:
            return retracted(con)
    except duckdb.Error:
        return {}


def retracted_folder_lines(settings) -> list[str]:
    """Retracted drops whose folder is still in the landing folder: left out, so said out loud."""
    present = [d for d in retracted_in_build_file(settings.build_db) if (settings.landing_dir / d).exists()]
    if not present:
        return []
    return [f"not loaded: {len(present)} retracted drop(s) still in the landing folder: {', '.join(present)} "
            "(`funnelcast drop list`; `funnelcast drop restore <drop>` loads one again)"]


def unmatched_file_lines(settings, mapping) -> list[str]:
    """Files in the drops that match no kind of the mapping: never loaded, so said out loud."""
    from ingest.drops import unknown_files

    skipped = retracted_in_build_file(settings.build_db)
    found = [f"{p.parent.name}/{p.name}" for p in unknown_files(settings.landing_dir, mapping, settings.drop_name_pattern)
             if p.parent.name not in skipped]
    if not found:
        return []
    return [f"not loaded: {len(found)} file(s) match no kind of mapping {mapping.name} "
            f"(a typo in a file name, or a kind the mapping does not read): {', '.join(found)}"]


def cmd_drop_list(args: argparse.Namespace) -> int:
    """Every drop there is (landed, loaded or retracted) and what the build file holds of it."""
    import duckdb

    from funnelcast.settings import load_settings
    from ingest.drops import find_drops
    from orchestration.retract import format_time, retracted

    settings = load_settings(args.config)
    mapping = settings.load_mapping()
    landed = find_drops(settings.landing_dir, settings.drop_name_pattern)
    loaded: dict[str, tuple[int, int, int]] = {}
    gone: dict[str, dict] = {}
    if settings.build_db.exists():
        try:
            con = duckdb.connect(str(settings.build_db), read_only=True)
        except duckdb.IOException:
            print(f"funnelcast drop list: {settings.build_db} is being written (a refresh is running); "
                  "try again when it has finished", file=sys.stderr)
            return 1
        with con:
            gone = retracted(con)
            if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
                           "AND table_name = 'load_log'").fetchone()[0]:
                loaded = {d: (f, r, q) for d, f, r, q in con.execute(
                    "SELECT drop_name, count(DISTINCT file_name), sum(rows_loaded), sum(coalesce(rows_rejected, 0)) "
                    "FROM raw.load_log GROUP BY 1").fetchall()}
    drops = sorted(set(landed) | set(loaded) | set(gone))
    if not drops:
        print(f"no drops: {settings.landing_dir} has none and the build file has loaded none")
        return 0
    print(f"{'drop':<22} status")
    for drop in drops:
        folder = settings.landing_dir / drop
        present = folder.is_dir()
        if drop in gone:
            r = gone[drop]
            rows = sum(n for t, n in r["rows_removed"].items() if t not in ("raw.load_log", "raw.rejected_rows"))
            status = (f"retracted {format_time(r['retracted_at'])} ({rows:,} raw rows removed); "
                      + ("the marts were rebuilt without it" if r["rebuilt_by_run"]
                         else "the next run rebuilds the marts without it")
                      + ("; its folder is still there and is not loaded" if present else "; its folder is gone"))
        elif drop in loaded:
            files, rows, quarantined = loaded[drop]
            waiting = [p.name for p in sorted(folder.iterdir()) if p.is_file() and mapping.kinds_of(p.name)] \
                if present else []
            status = f"loaded: {files} file{'s' if files != 1 else ''}, {rows:,} rows"
            status += f", {quarantined:,} quarantined" if quarantined else ""
            status += "" if present else "; its folder is gone"
            if len(waiting) > files:
                status += (f"; {len(waiting) - files} more file(s) not loaded (a file that failed, or a new one: "
                           "`funnelcast run` retries)")
        else:
            status = "not loaded yet (the next run loads it)"
        print(f"{drop:<22} {status}")
    return 0


def writable_build_file(command: str, settings):
    """A read-write connection to the build file, or None once the user is told who holds it."""
    from orchestration.resources import BuildFileLocked, open_build_file

    try:
        return open_build_file(str(settings.build_db), str(settings.published_db), settings.duckdb_config())
    except BuildFileLocked as exc:
        print(f"funnelcast {command}: {exc}", file=sys.stderr)
        return None


def cmd_drop_retract(args: argparse.Namespace) -> int:
    """Take a drop back: its rows leave the raw layer, the next run rebuilds the marts without it."""
    from funnelcast.settings import load_settings
    from ingest.drops import find_drops
    from orchestration.retract import RetractError, describe_removed, format_time, retract

    settings = load_settings(args.config)
    drop = args.drop.strip().rstrip("/").split("/")[-1]
    home = ensure_dagster_home()
    with writer_lock(settings.build_db, wait=False) as free:
        if not free:
            print(f"funnelcast drop retract: a refresh (`funnelcast run` or `funnelcast docs`) is using "
                  f"{settings.build_db}; retract {drop} when it has finished. Nothing was changed.", file=sys.stderr)
            return 1
        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            fail_orphaned_cli_runs(instance)
            busy = instance.get_runs(filters=dg.RunsFilter(
                job_name="weekly_refresh", statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                                                     dg.DagsterRunStatus.CANCELING]), limit=1)
        if busy:
            print(f"funnelcast drop retract: refresh run {busy[0].run_id} is in progress (launched from the Dagster "
                  f"UI, the schedule or the sensor; DAGSTER_HOME={home}); retract {drop} when it has finished. "
                  "Nothing was changed.", file=sys.stderr)
            return 1
        if not settings.build_db.exists():
            print(f"funnelcast drop retract: {settings.build_db} does not exist: no drop has been loaded, there is "
                  f"nothing to retract. To keep {drop} from being loaded, move it out of {settings.landing_dir} "
                  "(or rename it to start with _).", file=sys.stderr)
            return 2
        con = writable_build_file("drop retract", settings)
        if con is None:
            return 1
        try:
            result = retract(con, drop, find_drops(settings.landing_dir, settings.drop_name_pattern))
        except RetractError as exc:
            print(f"funnelcast drop retract: {exc}", file=sys.stderr)
            return 2
        finally:
            con.close()
    folder = settings.landing_dir / drop
    if result.already:
        print(f"drop {drop} is already retracted (it removed {describe_removed(result)}); nothing to do.")
        return 0
    print(f"retracted drop {drop} from {settings.build_db}: removed {describe_removed(result)}, in one transaction.")
    for table, n in sorted(result.removed.items()):
        unit = "file" if table == "raw.load_log" else "row"
        print(f"  {table:<28} {n:>10,} {unit}{'' if n == 1 else 's'}")
    print("The next `funnelcast run` rebuilds the marts without it (a full dbt rebuild); until then the published "
          "file keeps the marts it has.")
    if folder.is_dir():
        print(f"Its folder {folder} stays and is not loaded again (`funnelcast drop list` shows it as retracted). Put "
              f"corrected files in a new drop (a later folder name); `funnelcast drop restore {drop}` would load this "
              "one again.")
    return 0


def cmd_drop_restore(args: argparse.Namespace) -> int:
    """Undo a retraction: the next run loads the drop's folder again."""
    from funnelcast.settings import load_settings
    from orchestration.retract import restore

    settings = load_settings(args.config)
    drop = args.drop.strip().rstrip("/").split("/")[-1]
    with writer_lock(settings.build_db, wait=False) as free:
        if not free:
            print(f"funnelcast drop restore: a refresh is using {settings.build_db}; try again when it has finished.",
                  file=sys.stderr)
            return 1
        if not settings.build_db.exists():
            print(f"funnelcast drop restore: {drop} is not retracted (there is no build file)", file=sys.stderr)
            return 2
        con = writable_build_file("drop restore", settings)
        if con is None:
            return 1
        with con:
            done = restore(con, drop)
    if not done:
        print(f"funnelcast drop restore: {drop} is not retracted (`funnelcast drop list`)", file=sys.stderr)
        return 2
    print(f"restored drop {drop}: the next `funnelcast run` loads {settings.landing_dir / drop} again.")
    return 0


def cmd_vocabularies(args: argparse.Namespace) -> int:
    """Copy the vocabularies in force to a folder, to edit them there (the `vocabulary_dir` setting)."""
    from funnelcast.settings import load_settings
    from ingest.vocabularies import copy_vocabularies

    settings = load_settings(args.config)
    files = settings.vocabulary_files()
    if not args.copy:
        for name, path in files.items():
            print(f"{name}: {path}")
        return 0
    written = copy_vocabularies(files, Path(args.copy))
    for path in written:
        print(f"wrote {path}")
    print(f"set `vocabulary_dir: {args.copy}` in your funnelcast.yaml to use them"
          + ("" if written else " (every file was there already: nothing overwritten)"))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from funnelcast.settings import load_settings
    from orchestration.report import build_report

    settings = load_settings(args.config)
    if not settings.published_db.exists():
        raise FileNotFoundError(f"{settings.published_db} does not exist yet: run `funnelcast run` first")
    report = build_report(settings.published_db, currency=settings.reporting_currency,
                          out=Path(args.out) if args.out else None)
    print(f"wrote the Monday report ({report.figures} charts, {report.bytes:,} bytes): {report.path.resolve()}")
    return 0


def accuracy_table(published_db: Path, node_id: str = "company") -> list[tuple]:
    """Per week of quarter, from the published file (read-only): the MAPE of the commit call and of the
    expected forecast over the last four closed quarters at `node_id`, and how many quarters each
    averages: the rows of mart_forecast_accuracy's latest closed quarter (docs/marts.md)."""
    import duckdb

    with duckdb.connect(str(published_db), read_only=True) as con:
        return con.execute(
            """
            select week_of_quarter, commit_mape, commit_mape_quarters, expected_mape, expected_mape_quarters
            from marts.mart_forecast_accuracy
            where node_id = ?
                and fiscal_quarter = (select max(fiscal_quarter) from marts.mart_forecast_accuracy)
            order by week_of_quarter
            """,
            [node_id],
        ).fetchall()


def cmd_accuracy(args: argparse.Namespace) -> int:
    from funnelcast.settings import load_settings

    settings = load_settings(args.config)
    if not settings.published_db.exists():
        raise FileNotFoundError(f"{settings.published_db} does not exist yet: run `funnelcast run` first")
    table = accuracy_table(settings.published_db, args.node)
    if not table:
        print(f"no closed quarter for node {args.node} yet: nothing to measure")
        return 0

    def pct(value) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    print(f"MAPE over the last four closed quarters, node {args.node} "
          "(|forecast - actual| / actual, averaged; quarters = how many were averaged):")
    print(f"{'week':>4}  {'commit':>8}  {'expected':>8}  {'quarters (commit / expected)':>28}")
    for week, commit, commit_n, expected, expected_n in table:
        print(f"{week:>4}  {pct(commit):>8}  {pct(expected):>8}  {f'{commit_n} / {expected_n}':>28}")
    return 0


DOCS_SITE_NAME = "dbt-docs"


def docs_site(build_db: Path) -> Path:
    """Where `funnelcast docs` builds the site: beside the build file its catalog describes.

    Never dbt_project/target: `dbt docs generate` rewrites the manifest of its target folder, and
    that folder's manifest is the one every refresh reads (its asset graph, the published
    comments); a refresh running meanwhile would read it half written."""
    return Path(build_db).absolute().parent / DOCS_SITE_NAME


def docs_commands(build_db: Path, dbt_vars: dict, port: int) -> tuple[list[str], list[str]]:
    """`dbt docs generate` (the catalog reads the build file) and `dbt docs serve` on localhost only,
    both on the site's own target folder."""
    from orchestration.dbt_project import DBT_PROJECT_DIR, dbt_executable

    site = str(docs_site(build_db))
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", site]
    generate = [dbt_executable(), "docs", "generate", *common, "--vars", json.dumps(dbt_vars, sort_keys=True)]
    serve = [dbt_executable(), "docs", "serve", *common, "--host", "127.0.0.1", "--port", str(port), "--no-browser"]
    return generate, serve


def cmd_docs(args: argparse.Namespace) -> int:
    import subprocess

    from funnelcast.settings import load_settings

    settings = load_settings(args.config)
    if not settings.build_db.exists():
        raise FileNotFoundError(f"{settings.build_db} does not exist yet: run `funnelcast run` first")
    generate, serve = docs_commands(settings.build_db, settings.dbt_vars(), args.port)
    env = {**os.environ, **settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # The catalog is read from the build file: wait for a running refresh, as a second run would.
    with writer_lock(settings.build_db):
        built = subprocess.run(generate, env=env, cwd=REPO_ROOT)
    if built.returncode != 0:
        print("funnelcast docs: dbt docs generate failed (its output is above)", file=sys.stderr)
        return built.returncode
    if args.no_serve:
        print(f"built the dbt docs site: {docs_site(settings.build_db) / 'index.html'}")
        return 0
    print(f"serving the dbt docs on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    os.execvpe(serve[0], serve, env)
    return 0


SPARK_TARGET = "spark"
# The commands that run the project's on-run-start hook, which registers raw's Parquet copies on Spark.
DBT_COMMANDS_READING_RAW = {"build", "run", "test", "seed", "snapshot", "retry", "clone"}


@dataclass(frozen=True)
class DbtInvocation:
    """One dbt command as `funnelcast dbt` runs it."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    target: str
    subcommand: list[str]  # `build`, `docs generate`, ...; [] for none (`--version`)


def dbt_target(dbt_args: list[str]) -> str:
    """The dbt target the arguments choose (`--target X`, `--target=X`, `-t X`, else $DBT_TARGET, else the
    profile's default, `dev`)."""
    for i, arg in enumerate(dbt_args):
        if arg in ("--target", "-t") and i + 1 < len(dbt_args):
            return dbt_args[i + 1]
        if arg.startswith("--target="):
            return arg.split("=", 1)[1]
    return os.environ.get("DBT_TARGET") or "dev"


def dbt_command_path(dbt_args: list[str]) -> tuple[int, list[str], set[str]]:
    """Where the dbt subcommand starts in the arguments (after dbt's own leading options, `--debug`,
    `-t spark`), the subcommand (`build`, `docs generate`, ...) and the option names it takes (click's
    parameter names: vars, project_dir, ...); (i, [], set()) when they name none (`--version`)."""
    from dbt.cli.main import cli

    leading = {opt: param for param in cli.params for opt in (*param.opts, *param.secondary_opts)}
    start = 0
    while start < len(dbt_args) and dbt_args[start].startswith("-"):
        param = leading.get(dbt_args[start])
        takes_value = param is not None and not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        start += 2 if takes_value else 1
    group, path = cli, []
    for arg in dbt_args[start:]:
        commands = getattr(group, "commands", None)
        if not commands or arg not in commands:
            break
        group = commands[arg]
        path.append(arg)
    if not path or getattr(group, "commands", None) is not None:  # none, or a group such as `docs` alone
        return start, path, set()
    return start, path, {p.name for p in group.params}


def given(dbt_args: list[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in dbt_args)


def without_vars(dbt_args: list[str]) -> tuple[list[str], dict]:
    """The arguments without their `--vars` (merged over the settings' vars), and the vars they gave."""
    import yaml

    rest, given_vars = [], {}
    i = 0
    while i < len(dbt_args):
        arg = dbt_args[i]
        if arg == "--vars" and i + 1 < len(dbt_args):
            text, i = dbt_args[i + 1], i + 2
        elif arg.startswith("--vars="):
            text, i = arg.split("=", 1)[1], i + 1
        else:
            rest.append(arg)
            i += 1
            continue
        try:
            parsed = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            parsed = None
        if not isinstance(parsed, dict):
            raise ValueError(f"--vars must be a YAML or JSON mapping, got {text!r}")
        given_vars.update(parsed)
    return rest, given_vars


def spark_not_ready(settings, command: list[str]) -> list[str]:
    """What the spark target lacks on this machine and in these settings, each with what to do; [] when ready."""
    import importlib.util

    from funnelcast.settings import RAW_PARQUET_DIR_ENV
    from ingest.parquet_export import parquet_file, source_tables

    problems = []
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        problems.append("dbt-spark and pyspark are not installed in this environment: install the `spark` extra "
                        f"(`{Path(sys.executable).parent / 'pip'} install -c requirements.lock -e '.[spark]'` in "
                        f"{REPO_ROOT}; `make setup` does)")
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        problems.append("Spark needs a Java runtime (17) and there is no `java` on PATH and no JAVA_HOME: "
                        "`make java` installs Debian's openjdk-17-jre-headless, or set JAVA_HOME")
    if os.environ.get(RAW_PARQUET_DIR_ENV):
        pass  # the folder or URL a cluster reads (docs/scale-out.md): not for this machine to look at
    elif settings.raw_parquet_dir is None:
        where = ("in a funnelcast.yaml (there is none: the defaults apply)" if settings.config_file == "defaults"
                 else f"in {settings.config_file}")
        problems.append("the spark target reads raw from Parquet copies and the setting raw_parquet_dir is not set: "
                        f"set it {where} (e.g. `raw_parquet_dir: warehouse/raw-parquet`) and run `funnelcast run`, "
                        "which writes them")
    elif command[:1] and command[0] in DBT_COMMANDS_READING_RAW:
        missing = [f"{schema}.{table}" for schema, table in source_tables()
                   if not parquet_file(settings.raw_parquet_dir, schema, table).exists()]
        if missing:
            problems.append(f"{settings.raw_parquet_dir} (raw_parquet_dir) has no Parquet copy of "
                            f"{', '.join(missing)}: run `funnelcast run` (every refresh writes them when "
                            "raw_parquet_dir is set)")
    return problems


def dbt_invocation(settings, dbt_args: list[str]) -> DbtInvocation:
    """dbt with `dbt_args`, the settings' environment (Settings.dbt_env; a FUNNELCAST_RAW_PARQUET_DIR already
    set is kept: a cluster's copy of raw, docs/scale-out.md), their vars (Settings.dbt_vars, with any --vars
    given merged over them) and the project's folders.  On the spark target it runs in Spark's warehouse
    folder (Derby's metastore and log land there) with its own target and log folders, so that the Spark
    parse never replaces the one `funnelcast run` reuses (dbt_project/target)."""
    from funnelcast.settings import RAW_PARQUET_DIR_ENV
    from orchestration.dbt_project import DBT_PROJECT_DIR, dbt_executable, dbt_vars_args

    target = dbt_target(dbt_args)
    start, command, options = dbt_command_path(dbt_args)
    leading, after = dbt_args[:start], dbt_args[start + len(command):]
    rest, extra_vars = without_vars(after) if "vars" in options else (after, {})
    added: list[str] = []
    if "project_dir" in options and not given(rest, "--project-dir"):
        added += ["--project-dir", str(DBT_PROJECT_DIR)]
    if "profiles_dir" in options and not given(rest, "--profiles-dir"):
        added += ["--profiles-dir", str(DBT_PROJECT_DIR)]
    if "vars" in options:
        added += dbt_vars_args({**settings.dbt_vars(), **extra_vars})
    cwd = Path.cwd()
    if target == SPARK_TARGET:
        cwd = settings.spark_warehouse()
        if "target_path" in options and not given(rest, "--target-path"):
            added += ["--target-path", str(cwd / "dbt-target")]
        if "log_path" in options and not given(rest, "--log-path"):
            added += ["--log-path", str(cwd / "dbt-logs")]
    env = {**os.environ, **settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if os.environ.get(RAW_PARQUET_DIR_ENV):  # set by hand: a cluster's copy of raw (an s3:// URL), kept
        env[RAW_PARQUET_DIR_ENV] = os.environ[RAW_PARQUET_DIR_ENV]
    return DbtInvocation([dbt_executable(), *leading, *command, *added, *rest], env, cwd, target, command)


def cmd_dbt(args: argparse.Namespace) -> int:
    """dbt as every run invokes it (the settings' environment and vars, the project's folders); dbt's exit code."""
    import subprocess

    from funnelcast.settings import RAW_PARQUET_DIR_ENV, load_settings

    settings = load_settings(args.config)
    invocation = dbt_invocation(settings, list(args.dbt_args))
    if os.environ.get(RAW_PARQUET_DIR_ENV):
        print(f"funnelcast dbt: raw's Parquet copies are read from {RAW_PARQUET_DIR_ENV}="
              f"{os.environ[RAW_PARQUET_DIR_ENV]} (set in the environment), not from the setting raw_parquet_dir",
              file=sys.stderr)
    if invocation.target == SPARK_TARGET:
        problems = spark_not_ready(settings, invocation.subcommand)
        if problems:
            print("funnelcast dbt: the spark target cannot run:\n" + "\n".join(f"- {p}" for p in problems),
                  file=sys.stderr)
            return 2
        invocation.cwd.mkdir(parents=True, exist_ok=True)
    # One at a time with the refresh: the dev target writes the build file, and the spark target reads the
    # Parquet copies a refresh rewrites (and Spark's Derby metastore takes one session at a time).
    with writer_lock(settings.build_db):
        return subprocess.run(invocation.command, env=invocation.env, cwd=invocation.cwd).returncode


def cmd_ui(args: argparse.Namespace) -> int:
    ensure_dagster_home()
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [str(dagster if dagster.exists() else "dagster"), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
           "--port", str(args.port)]
    print(" ".join(cmd), f"(DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    os.execv(cmd[0], cmd) if Path(cmd[0]).exists() else os.execvp(cmd[0], cmd)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from funnelcast.settings import load_settings

    settings = load_settings(args.config)
    if args.dbt_env:  # NAME=value lines, for `env` (the Makefile's dbt parse)
        print("\n".join(f"{name}={value}" for name, value in settings.dbt_env().items()))
        return 0
    print(json.dumps(settings.as_dict(), indent=2))
    return 0


DOCS_TABLES_HEADING = "## File kinds and columns\n\n"


def cmd_contract(args: argparse.Namespace) -> int:
    """Render the dbt sources and the docs' contract tables from ingest/contract.py."""
    from ingest.contract import render_dbt_sources, render_docs_tables

    sources = REPO_ROOT / "dbt_project" / "models" / "staging" / "_sources.yml"
    docs = REPO_ROOT / "docs" / "exports.md"
    if not args.write:
        print(render_dbt_sources(), end="")
        return 0
    sources.write_text(render_dbt_sources(), encoding="utf-8")
    text = docs.read_text(encoding="utf-8")
    head = text[: text.index(DOCS_TABLES_HEADING) + len(DOCS_TABLES_HEADING)]
    docs.write_text(head + render_docs_tables() + "\n", encoding="utf-8")
    print(f"wrote {sources} and {docs}")
    return 0


def cmd_dbt_parse(args: argparse.Namespace) -> int:
    """`dbt parse` with the settings' environment and vars, as every run invokes dbt (make setup)."""
    from funnelcast.settings import choose_settings_file
    from orchestration.dbt_project import parse_project

    if args.config:
        choose_settings_file(args.config)
    print(f"parsed the dbt project: {parse_project()}")
    return 0


def cmd_dbt_vars(args: argparse.Namespace) -> int:
    """Write the settings defaults into dbt_project.yml's vars, as `contract --write` renders the sources."""
    from funnelcast.settings import render_dbt_project_vars
    from orchestration.dbt_project import DBT_PROJECT_DIR

    path = DBT_PROJECT_DIR / "dbt_project.yml"
    rendered = render_dbt_project_vars(path.read_text(encoding="utf-8"))
    if not args.write:
        print(rendered, end="")
        return 0
    path.write_text(rendered, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="funnelcast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write sample export drops (a full export, then weekly deltas)")
    gen.add_argument("--out", required=True, help="landing folder to write the drops into")
    gen.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--weeks", type=int, default=None, help="weekly delta drops after the first full export")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="run the weekly refresh now, in this process, recorded in the Dagster instance")
    run.add_argument("--config", help="settings file (default: $FUNNELCAST_CONFIG, else ./funnelcast.yaml, else defaults)")
    run.add_argument("--verbose", action="store_true",
                     help="stream Dagster's and dbt's full logs here instead of to a log file")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild every dbt model from raw (dbt build --full-refresh), incremental ones included")
    run.set_defaults(func=cmd_run)

    rep = sub.add_parser("report", help="rebuild the Monday report (HTML) from the published file")
    rep.add_argument("--config")
    rep.add_argument("--out", help="where to write it (default: monday_report.html beside the published file)")
    rep.set_defaults(func=cmd_report)

    acc = sub.add_parser("accuracy", help="print the MAPE of the commit call vs the expected forecast by week "
                                          "of quarter, from the published file")
    acc.add_argument("--config")
    acc.add_argument("--node", default="company", help="the forecast node (default: company)")
    acc.set_defaults(func=cmd_accuracy)

    docs = sub.add_parser("docs", help="build the dbt docs site and serve it on http://127.0.0.1:PORT/")
    docs.add_argument("--config")
    docs.add_argument("--port", type=int, default=8080)
    docs.add_argument("--no-serve", action="store_true", help="only build it (dbt-docs/index.html beside the build file)")
    docs.set_defaults(func=cmd_docs)

    dbt = sub.add_parser("dbt", help="run dbt with the settings' environment and vars and the project's folders, "
                                     "e.g. `funnelcast dbt build --target spark`; exits with dbt's code")
    dbt.add_argument("--config", help="settings file (before the dbt arguments)")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt's own arguments: a command and its options")
    dbt.set_defaults(func=cmd_dbt)

    ui = sub.add_parser("ui", help="open the Dagster UI (dagster dev -w workspace.yaml)")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    drop = sub.add_parser("drop", help="list the drops and their load status; retract a bad drop, or restore it")
    drop_sub = drop.add_subparsers(dest="drop_command", required=True)
    dls = drop_sub.add_parser("list", help="every drop (landed, loaded, retracted) and what the build file holds of it")
    dls.add_argument("--config")
    dls.set_defaults(func=cmd_drop_list)
    drt = drop_sub.add_parser("retract", help="remove a drop's rows from the raw layer (load log and quarantine "
                                              "included); the next run rebuilds the marts without it")
    drt.add_argument("drop", help="the drop's folder name, e.g. 2026-11-23")
    drt.add_argument("--config")
    drt.set_defaults(func=cmd_drop_retract)
    drs = drop_sub.add_parser("restore", help="undo a retraction: the next run loads the drop's folder again")
    drs.add_argument("drop")
    drs.add_argument("--config")
    drs.set_defaults(func=cmd_drop_restore)

    voc = sub.add_parser("vocabularies", help="show the stage map, forecast-category and opportunity-type files "
                                              "in force; --copy DIR copies them there for editing")
    voc.add_argument("--config")
    voc.add_argument("--copy", metavar="DIR", help="copy the files in force to DIR (existing files are kept)")
    voc.set_defaults(func=cmd_vocabularies)

    cfg = sub.add_parser("config", help="print the settings in force")
    cfg.add_argument("--config")
    cfg.add_argument("--dbt-env", action="store_true", help="print the environment dbt is given (NAME=value lines)")
    cfg.set_defaults(func=cmd_config)

    con = sub.add_parser("contract", help="print the dbt sources rendered from the export contract; --write updates them and docs/exports.md")
    con.add_argument("--write", action="store_true")
    con.set_defaults(func=cmd_contract)

    dparse = sub.add_parser("dbt-parse", help="parse the dbt project with the settings' vars (make setup does it): "
                                              "every run reuses the parse and re-parses only what changed")
    dparse.add_argument("--config")
    dparse.set_defaults(func=cmd_dbt_parse)

    dvars = sub.add_parser("dbt-vars", help="print dbt_project.yml with its vars' defaults rendered from the settings "
                                            "defaults; --write updates it")
    dvars.add_argument("--write", action="store_true")
    dvars.set_defaults(func=cmd_dbt_vars)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if args.func is not cmd_dbt:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        # dbt's own options before its command (`funnelcast dbt --debug build`): argparse keeps them apart.
        args.dbt_args = [*unknown, *args.dbt_args]
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"funnelcast: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
