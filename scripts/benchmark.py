"""Benchmark: generate sample exports, load them into DuckDB, print the figures.

    .venv/bin/python scripts/benchmark.py [--scale small|medium|large] [--keep DIR]

Each stage runs in a child process so its wall time and peak memory (max RSS) are
its own.  Figures only: no thresholds, nothing asserted.

The pipeline figures (issue 4): a real `dbt build` of the pipeline marts and what they
need, the build time of the weekly as-of spine (int_opportunity_weekly_state) and of
fct_pipeline_weekly (a full build, then an incremental re-run), fct_pipeline_weekly's
size, and, for scale, a plain DuckDB query listing the open opportunities per week end
from the stage history.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

GENERATE = """
import sys, json
from pathlib import Path
from sample_exports import generate
s = generate(Path(sys.argv[1]), scale=sys.argv[2], seed=42)
import resource
print(json.dumps({"rows": s.total_rows, "drops": len(s.drops), "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

LOAD = """
import sys, json, duckdb
from pathlib import Path
from ingest.contract import FILE_KINDS
from ingest.load import load_kind
con = duckdb.connect(sys.argv[2])
rows = 0
for k in FILE_KINDS:
    r = load_kind(con, Path(sys.argv[1]), k.name)
    assert not r.errors, r.errors
    rows += r.rows_loaded
import resource
print(json.dumps({"rows": rows, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


# A real dbt build into the benchmark's file, in its own process (dbt runs DuckDB in
# process: its peak RSS is the build's); prints each model's build seconds.
DBT_BUILD = """
import sys, json, os, subprocess, resource
from pathlib import Path
db, work, *args = sys.argv[1:]
work = Path(work)
from funnelcast.settings import Settings
env = {**os.environ, **Settings(build_db=Path(db)).dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
dbt = str(Path(sys.executable).parent / "dbt")
project = str(Path.cwd() / "dbt_project")
cmd = [dbt, *args, "--project-dir", project, "--profiles-dir", project,
       "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
out = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
if out.returncode != 0:
    sys.exit(out.stdout[-4000:] + out.stderr[-2000:])
results = json.load(open(work / "target" / "run_results.json"))
models = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]
          if r["unique_id"].startswith("model.")}
print(json.dumps({"models": models, "rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""

# The plain query: the open opportunities at each week end, from the stage history
# (a range join of open stage visits with the week ends), into a temporary table.
PLAIN_OPEN_PER_WEEK = """
import sys, json, time, duckdb, resource
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")
weeks = con.execute("select min(week_end), max(week_end) from marts.fct_pipeline_weekly").fetchone()
start = time.perf_counter()
con.execute(\"\"\"
    create temp table open_per_week as
    with week_ends as (
        select distinct week_end from marts.dim_fiscal_calendar where week_end between ? and ?
    )
    select week_ends.week_end, visits.opportunity_id
    from intermediate.int_opportunity_stage_visits as visits
    inner join week_ends
        on visits.entered_at < week_ends.week_end + interval 1 day
        and (visits.exited_at is null or visits.exited_at >= week_ends.week_end + interval 1 day)
    where not visits.is_closed
\"\"\", list(weeks))
seconds = time.perf_counter() - start
rows = con.execute("select count(*) from open_per_week").fetchone()[0]
fct = con.execute(
    "select count(*), count(distinct week_end), count(distinct opportunity_id), count(*) filter (where is_open) "
    "from marts.fct_pipeline_weekly").fetchone()
print(json.dumps({"seconds": seconds, "rows": rows, "fct_rows": fct[0], "fct_weeks": fct[1],
                  "fct_opportunities": fct[2], "fct_open_rows": fct[3],
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

SPINE_MODELS = ("int_opportunity_weekly_state", "fct_pipeline_weekly")


def timed(code: str, *args: str) -> tuple[dict, float, float]:
    """Run `code` in a child Python; returns its JSON output, seconds and its own peak RSS in MiB."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result, seconds, result["rss_kib"] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--keep", help="write the drops and the DuckDB file here instead of a temporary folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        base.mkdir(parents=True, exist_ok=True)
        landing, db = base / "landing", base / "bench.duckdb"
        gen, gen_s, gen_mb = timed(GENERATE, str(landing), args.scale)
        size_mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20
        load, load_s, load_mb = timed(LOAD, str(landing), str(db))
        print(f"scale {args.scale}: {gen['rows']:,} rows in {gen['drops']} drops, {size_mb:,.0f} MiB of CSV")
        print(f"{'stage':<10}{'seconds':>10}{'rows/s':>14}{'peak RSS MiB':>15}")
        print(f"{'generate':<10}{gen_s:>10.1f}{gen['rows'] / gen_s:>14,.0f}{gen_mb:>15,.0f}")
        print(f"{'load raw':<10}{load_s:>10.1f}{load['rows'] / load_s:>14,.0f}{load_mb:>15,.0f}")
        pipeline_figures(base, db)


def pipeline_figures(base: Path, db: Path) -> None:
    """Build the pipeline marts (full, then an incremental re-run) and print their figures."""
    # `cautious`: tests that also read models outside the selection stay out.
    selection = ["--select", "path:seeds", "+path:models/marts/pipeline", "--indirect-selection", "cautious"]
    full, full_s, full_mb = timed(DBT_BUILD, str(db), str(base / "dbt"), "build", *selection)
    rerun, rerun_s, _ = timed(DBT_BUILD, str(db), str(base / "dbt"), "run", "--select", *SPINE_MODELS)
    plain, _, _ = timed(PLAIN_OPEN_PER_WEEK, str(db))
    spine_s = sum(full["models"][m] for m in SPINE_MODELS)
    print(f"{'dbt build':<10}{full_s:>10.1f}{'':>14}{full_mb:>15,.0f}   seeds -> pipeline marts, with their tests")
    print(
        f"fct_pipeline_weekly: {plain['fct_rows']:,} rows ({plain['fct_open_rows']:,} open at a week end, the rest "
        f"closing weeks), {plain['fct_weeks']} week ends, {plain['fct_opportunities']:,} opportunities"
    )
    print(f"{'build step':<46}{'seconds':>10}{'rows':>14}")
    for model in SPINE_MODELS:
        print(f"{'  ' + model + ' (full)':<46}{full['models'][model]:>10.2f}")
    print(f"{'  fct_pipeline_weekly (incremental re-run)':<46}{rerun['models']['fct_pipeline_weekly']:>10.2f}")
    print(f"{'  plain query: open opportunities per week':<46}{plain['seconds']:>10.2f}{plain['rows']:>14,}")
    print(f"spine (as-of state + fct_pipeline_weekly, full) / plain query: {spine_s / plain['seconds']:.1f}x")


if __name__ == "__main__":
    main()
