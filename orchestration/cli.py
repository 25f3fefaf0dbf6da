"""`funnelcast`: generate sample exports, run the weekly refresh, open the UI."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_TEMPLATE = Path(__file__).resolve().parent / "dagster.yaml"


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME as set, else ./.dagster; given Funnelcast's instance settings when new."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_TEMPLATE, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@contextmanager
def refresh_lock(build_db: Path):
    """Hold the build file's writer lock; a second `funnelcast run` waits for the first."""
    build_db.parent.mkdir(parents=True, exist_ok=True)
    with open(build_db.with_suffix(".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another refresh is writing {build_db}; waiting for it to finish...", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def cmd_generate(args: argparse.Namespace) -> int:
    from ingest.generate import generate

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


def cmd_run(args: argparse.Namespace) -> int:
    from ingest.config import load_settings

    if args.config:
        os.environ["FUNNELCAST_CONFIG"] = str(Path(args.config).resolve())
    settings = load_settings()
    ensure_dagster_home()

    import dagster as dg

    from orchestration.definitions import defs

    job = defs.resolve_job_def("weekly_refresh")
    with refresh_lock(settings.build_db), dg.DagsterInstance.get() as instance:
        fail_orphaned_cli_runs(instance)
        result = job.execute_in_process(instance=instance, raise_on_error=False, tags={CLI_RUN_TAG: "true"})
    if not result.success:
        print(f"weekly refresh FAILED (run {result.run_id}; see it in the Dagster UI: funnelcast ui)", file=sys.stderr)
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
                err = event.step_failure_data.error
                cause = err.cause.message if err.cause else ""
                print(f"- step {event.step_key}: {err.message.strip()}\n  {cause.strip()}".rstrip(), file=sys.stderr)
        return 1
    print(f"weekly refresh succeeded (run {result.run_id})")
    print(f"published: {settings.published_db}  (build file: {settings.build_db})")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    ensure_dagster_home()
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [str(dagster if dagster.exists() else "dagster"), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
           "--port", str(args.port)]
    print(" ".join(cmd), f"(DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    os.execv(cmd[0], cmd) if Path(cmd[0]).exists() else os.execvp(cmd[0], cmd)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from ingest.config import load_settings

    print(json.dumps(load_settings(args.config).as_dict(), indent=2))
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
    run.set_defaults(func=cmd_run)

    ui = sub.add_parser("ui", help="open the Dagster UI (dagster dev -w workspace.yaml)")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    cfg = sub.add_parser("config", help="print the settings in force")
    cfg.add_argument("--config")
    cfg.set_defaults(func=cmd_config)

    con = sub.add_parser("contract", help="print the dbt sources rendered from the export contract; --write updates them and docs/exports.md")
    con.add_argument("--write", action="store_true")
    con.set_defaults(func=cmd_contract)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"funnelcast: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
