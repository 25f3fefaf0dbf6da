"""`make bench` on the small sample: its figures count what was really loaded, and its floor runs
the same models on the same files (the marts come out with the full refresh's rows).

No time or memory limit is asserted: the benchmark reports figures, it does not judge them.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.contract import FILE_KINDS

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small_bench(tmp_path_factory) -> tuple[Path, dict, str]:
    """scripts/bench.py --scale small, run once as `make bench` runs it: (cache, bench.json, its output)."""
    root = tmp_path_factory.mktemp("bench")
    cache, work = root / "cache" / "small-seed42", root / "work"
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "bench.py"), "--scale", "small",
                           "--cache", str(cache), "--work", str(work)],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return cache, json.loads((work / "bench.json").read_text()), proc.stdout


def csv_records(files: list[Path]) -> int:
    """Data records in CSV files, counted by Python's csv module (not by DuckDB, not by the loader)."""
    total = 0
    for path in files:
        with path.open(newline="", encoding="utf-8") as f:
            total += sum(1 for _ in csv.reader(f)) - 1
    return total


def ingest_rows(run: dict) -> dict[str, int]:
    return {p["name"].removeprefix("ingest "): p["rows"] for p in run["phases"]
            if p["name"].startswith("ingest ") and p["name"] != "ingest (all kinds)"}


def test_ingest_rows_are_the_records_of_the_files_each_refresh_loaded(small_bench):
    cache, bench, _ = small_bench
    drops = sorted(p.name for p in cache.iterdir())
    full, delta = ingest_rows(bench["full"]), ingest_rows(bench["delta"])
    for kind in (k.name for k in FILE_KINDS):
        assert full[kind] == csv_records([cache / d / f"{kind}.csv" for d in drops[:-1]
                                          if (cache / d / f"{kind}.csv").exists()]), kind
        last = cache / drops[-1] / f"{kind}.csv"
        assert delta[kind] == (csv_records([last]) if last.exists() else 0), kind
    assert sum(delta.values()) > 0, "the delta refresh loaded the last drop"


def test_build_file_holds_the_rows_both_refreshes_loaded(small_bench):
    _, bench, _ = small_bench
    full, delta = ingest_rows(bench["full"]), ingest_rows(bench["delta"])
    with duckdb.connect(str(Path(bench["work"]) / "warehouse" / "build.duckdb"), read_only=True) as con:
        for kind in full:
            assert con.execute(f"SELECT count(*) FROM raw.{kind}").fetchone()[0] == full[kind] + delta[kind], kind


def test_floor_loads_the_same_files_and_builds_the_same_marts(small_bench):
    _, bench, _ = small_bench
    full = ingest_rows(bench["full"])
    with duckdb.connect(str(Path(bench["work"]) / "floor" / "floor.duckdb"), read_only=True) as con:
        for kind, rows in full.items():
            assert con.execute(f"SELECT count(*) FROM raw.{kind}").fetchone()[0] == rows, kind
    assert bench["mart_rows_full_refresh"], "the full refresh built marts"
    assert bench["floor_marts_match_full_refresh_row_counts"]


def test_table_and_ratios_are_printed(small_bench):
    _, bench, out = small_bench
    for kind in (k.name for k in FILE_KINDS):
        assert f"ingest {kind} " in out
    for phase in ("start-up", "dbt models", "dbt tests", "publish", "total"):
        assert f"\n{phase} " in out, phase
    for line in ("delta / full refresh:", "full refresh / floor:", "peak RSS of full refresh:",
                 "peak RSS of the generator:"):
        assert line in out
    # The generator ran under the benchmark (the cache was empty): its memory was sampled.
    assert bench["generator"]["peak_rss"] > 0


def test_dbt_step_splits_into_parts_that_add_up_to_its_wall_time(small_bench):
    # dbt runs two models or tests at a time (dbt_threads): summed node times would count the
    # overlap twice and leave "other" negative.  The parts are wall-clock shares of the step.
    _, bench, _ = small_bench
    for run in ("full", "delta"):
        seconds = {p["name"]: p["seconds"] for p in bench[run]["phases"]}
        parts = [seconds["dbt models"], seconds["dbt tests (no model running)"],
                 seconds["dbt other (start, parse, events)"]]
        assert all(part >= 0 for part in parts), (run, parts)
        assert sum(parts) == pytest.approx(seconds["dbt step (wall)"], abs=0.01), (run, parts)
