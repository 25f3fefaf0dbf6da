"""Benchmark: generate sample exports, load them into DuckDB, print the figures.

    .venv/bin/python scripts/benchmark.py [--scale small|medium|large] [--keep DIR]

Each stage runs in a child process so its wall time and peak memory (max RSS) are
its own.  Figures only: no thresholds, nothing asserted.
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
from ingest.generate import generate
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


if __name__ == "__main__":
    main()
