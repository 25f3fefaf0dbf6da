"""Crash recovery: a refresh killed (SIGKILL) during ingest or dbt leaves the published
file untouched, and the next refresh ends with exactly the marts of a clean run."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import BIN, REPO_ROOT, run_funnelcast, write_settings


def marts_tables(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
            "AND table_name <> 'published_runs' ORDER BY 1"
        ).fetchall()]


def differing_tables(a: Path, b: Path) -> list[str]:
    """Marts whose rows differ between two published files (as multisets)."""
    assert marts_tables(a) == marts_tables(b)
    con = duckdb.connect()
    con.execute("ATTACH $p AS a (READ_ONLY)", {"p": str(a)})
    con.execute("ATTACH $p AS b (READ_ONLY)", {"p": str(b)})
    out = []
    for t in marts_tables(a):
        # A float sum depends on the order rows are added in, which differs between an
        # incremental and a full build: compare doubles to 9 significant places.
        cols = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = 'a' AND table_schema = 'marts' AND table_name = $t ORDER BY ordinal_position",
            {"t": t},
        ).fetchall()
        select = ", ".join(
            f'round("{c}", 9 - cast(ceil(log10(abs("{c}") + 1)) AS INTEGER))' if d in ("DOUBLE", "FLOAT") else f'"{c}"'
            for c, d in cols
        )
        diff = con.execute(
            f"SELECT count(*) FROM ((SELECT {select} FROM a.marts.{t} EXCEPT ALL SELECT {select} FROM b.marts.{t}) "
            f"UNION ALL (SELECT {select} FROM b.marts.{t} EXCEPT ALL SELECT {select} FROM a.marts.{t}))"
        ).fetchone()[0]
        if diff:
            out.append(f"{t}: {diff} rows differ")
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split_landing(full: Path, dest: Path, first: int) -> tuple[list[Path], list[str]]:
    """Copy the first `first` drops into dest; return the later drops to add."""
    drops = sorted(p.name for p in full.iterdir())
    dest.mkdir(parents=True)
    for d in drops[:first]:
        shutil.copytree(full / d, dest / d)
    return drops[first:]


@pytest.fixture(scope="module")
def clean_run(small_refresh) -> Path:
    """The published file of one uninterrupted refresh of every drop (the session's, read-only)."""
    return small_refresh[0] / "warehouse" / "funnelcast.duckdb"


def kill_when(config: Path, home: Path, marker: str) -> str:
    """Start `funnelcast run`, SIGKILL its whole process group when `marker` appears in its log."""
    env = {**os.environ, "FUNNELCAST_CONFIG": str(config), "DAGSTER_HOME": str(home)}
    # --verbose: the markers are in Dagster's and dbt's own stream, which a plain run sends to its log file.
    proc = subprocess.Popen(
        [str(BIN / "funnelcast"), "run", "--verbose"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the run ended before {marker!r}:\n{''.join(seen[-20:])}"
    return "".join(seen)


@pytest.mark.parametrize(
    ("phase", "marker"),
    [
        ("ingest", 'Started execution of step "raw__opportunities_audit"'),
        ("dbt build", "START sql incremental model intermediate.int_opportunity_stage_visits"),
    ],
)
def test_a_killed_refresh_recovers_to_the_clean_result(small_landing, clean_run, tmp_path, phase, marker):
    landing = tmp_path / "landing"
    later = split_landing(small_landing, landing, first=6)
    config = write_settings(tmp_path, landing)
    home = tmp_path / "home"
    published = tmp_path / "warehouse" / "funnelcast.duckdb"
    run_funnelcast("run", config=config, dagster_home=home, check=True)
    before = sha256(published)

    for d in later:
        shutil.copytree(small_landing / d, landing / d)
    kill_when(config, home, marker)
    assert sha256(published) == before, f"the run killed during {phase} touched the published file"

    resumed = run_funnelcast("run", config=config, dagster_home=home)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert differing_tables(published, clean_run) == []
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT max(latest_drop) FROM marts.published_runs").fetchone()[0] == later[-1]
    # The killed run does not stay "in progress" in the UI.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = [r.status for r in instance.get_runs()]
    assert statuses.count(dg.DagsterRunStatus.SUCCESS) == 2
    assert statuses.count(dg.DagsterRunStatus.FAILURE) == 1


def test_two_refreshes_at_once_queue_instead_of_failing_on_the_lock(small_landing, tmp_path):
    shutil.copytree(small_landing, tmp_path / "landing")
    config = write_settings(tmp_path, tmp_path / "landing")
    env = {**os.environ, "FUNNELCAST_CONFIG": str(config), "DAGSTER_HOME": str(tmp_path / "home")}
    # Output to files, not pipes: a run whose pipe nobody reads would block on its logs.
    logs = [tmp_path / f"run{i}.log" for i in range(2)]
    runs = []
    for log in logs:
        with log.open("w") as out:
            runs.append(subprocess.Popen([str(BIN / "funnelcast"), "run"], cwd=REPO_ROOT, env=env,
                                         stdout=out, stderr=subprocess.STDOUT, text=True))
    codes = [p.wait(timeout=1800) for p in runs]
    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], [o[-3000:] for o in outputs]
    assert sum("waiting for it to finish" in o for o in outputs) == 1
    with duckdb.connect(str(tmp_path / "warehouse" / "funnelcast.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.published_runs").fetchone()[0] == 2
