"""Taking a drop back: `funnelcast drop retract`, the unknown-owner node, and a chain of
retract + rerun that ends with exactly the marts of a clean run without the bad drop."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.sensors import new_drop_sensor
from tests.conftest import refresh_once, run_funnelcast, write_settings
from tests.test_recovery import differing_tables, sha256

BAD_DROP = "2026-11-23"  # the small set's last drop, with one more deal added
GHOST_DEAL = ("99999999-0000-4000-8000-000000000001,Ghost Deal,2026-11-20 10:00:00,2026-11-20 10:00:00,0,"
              "u-ghost-owner,,New Business,,,25000.00,USD,25000.00,2026-12-20,Proposal/Price Quote,65,include\n")
HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
sys.stdin.read()
"""


def counts_of_drop(db: Path, drop: str) -> dict[str, int]:
    """Rows of `drop` in every raw table, the load log and the quarantine (tables with none left out)."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE schema_name = 'raw' AND column_name = '_drop'").fetchall()]
        out = {f"raw.{t}": con.execute(f'SELECT count(*) FROM raw."{t}" WHERE _drop = ?', [drop]).fetchone()[0]
               for t in tables}
        for t in ("load_log", "rejected_rows"):
            out[f"raw.{t}"] = con.execute(f"SELECT count(*) FROM raw.{t} WHERE drop_name = ?", [drop]).fetchone()[0]
    return {t: n for t, n in out.items() if n}


def sensor_requests(config: Path, home: Path, monkeypatch) -> list[str]:
    monkeypatch.setenv("FUNNELCAST_CONFIG", str(config))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = new_drop_sensor(dg.build_sensor_context(instance=instance))
    return [r.run_key for r in getattr(result, "run_requests", None) or []]


@pytest.fixture(scope="module")
def clean_without_bad_drop(small_landing, tmp_path_factory) -> Path:
    """A clean run on every drop but the bad one: the folder (landing, warehouse, dagster_home)."""
    folder = tmp_path_factory.mktemp("retract_clean")
    refresh_once(folder, small_landing, ignore=lambda d, names: [BAD_DROP] if BAD_DROP in names else [])
    return folder


@pytest.fixture(scope="module")
def chain(small_landing, tmp_path_factory):
    """Every drop, the last with a deal whose owner is not in users: run, retract it, run again."""
    folder = tmp_path_factory.mktemp("retract_chain")
    landing = folder / "landing"
    shutil.copytree(small_landing, landing)
    with (landing / BAD_DROP / "opportunities.csv").open("a", encoding="utf-8") as f:
        f.write(GHOST_DEAL)
    config = write_settings(folder, landing)
    home = folder / "home"
    build = folder / "warehouse" / "build.duckdb"
    published = folder / "warehouse" / "funnelcast.duckdb"
    first = run_funnelcast("run", config=config, dagster_home=home)
    with_bad = folder / "published_with_bad_drop.duckdb"
    shutil.copyfile(published, with_bad)
    in_raw = counts_of_drop(build, BAD_DROP)
    retracted = run_funnelcast("drop", "retract", BAD_DROP, config=config, dagster_home=home)
    left = counts_of_drop(build, BAD_DROP)
    listed = run_funnelcast("drop", "list", config=config, dagster_home=home)
    return dict(folder=folder, config=config, home=home, build=build, published=published, first=first,
                with_bad=with_bad, in_raw=in_raw, retracted=retracted, left=left, listed=listed)


@pytest.fixture(scope="module")
def rerun(chain, monkeypatch_module):
    before = sensor_requests(chain["config"], chain["home"], monkeypatch_module)
    proc = run_funnelcast("run", config=chain["config"], dagster_home=chain["home"])
    after = sensor_requests(chain["config"], chain["home"], monkeypatch_module)
    return proc, before, after


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_a_deal_with_an_unknown_owner_warns_and_rolls_up_under_an_unknown_owner_node(chain):
    first = chain["first"]
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "warned: relationships_stg_sugarcrm__opportunities_owner_user_id" in first.stdout
    with duckdb.connect(str(chain["with_bad"]), read_only=True) as con:
        week = con.execute("SELECT max(as_of_week_end) FROM marts.mart_forecast_rollup").fetchone()[0]
        nodes = {r[0]: r[1:] for r in con.execute(
            "SELECT node_id, node_type, node_name, parent_node_id, node_level, is_known_user, commit, pipeline "
            "FROM marts.mart_forecast_rollup WHERE as_of_week_end = ? AND fiscal_quarter = 'FY2026-Q4'", [week]).fetchall()}
        assert nodes["unknown_owner"][:5] == ("unknown_owner", "Unknown owner", "company", 1, False)
        assert nodes["u-ghost-owner"][:5] == ("user", "u-ghost-owner", "unknown_owner", 2, False)
        assert nodes["unknown_owner"][5:] == nodes["u-ghost-owner"][5:] == (25000, 25000)
        # The company is the sum of the rows directly under it, the unknown owner's included.
        (commit, pipeline) = con.execute(
            "SELECT sum(commit), sum(pipeline) FROM marts.mart_forecast_rollup WHERE as_of_week_end = ? "
            "AND fiscal_quarter = 'FY2026-Q4' AND parent_node_id = 'company'", [week]).fetchone()
        assert (commit, pipeline) == nodes["company"][5:]


def test_retract_removes_every_row_of_the_drop_and_says_what(chain):
    proc, in_raw = chain["retracted"], chain["in_raw"]
    assert proc.returncode == 0, proc.stderr
    assert in_raw["raw.opportunities"] > 1 and in_raw["raw.load_log"] == 11
    assert chain["left"] == {}
    assert f"retracted drop {BAD_DROP}" in proc.stdout
    for table, n in in_raw.items():
        unit = "file" if table == "raw.load_log" else "row"
        assert f"{table:<28} {n:>10,} {unit}{'' if n == 1 else 's'}" in proc.stdout
    assert f"{chain['folder'] / 'landing' / BAD_DROP} stays and is not loaded again" in proc.stdout
    listed = chain["listed"]
    assert listed.returncode == 0
    line = next(l for l in listed.stdout.splitlines() if l.startswith(BAD_DROP))
    assert "retracted" in line and "not loaded" in line and "next run rebuilds" in line


def test_retract_and_rerun_give_the_marts_of_a_clean_run_without_the_drop(chain, rerun, clean_without_bad_drop):
    proc, _, _ = rerun
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"not loaded: 1 retracted drop(s) still in the landing folder: {BAD_DROP}" in proc.stdout
    assert "relationships_stg_sugarcrm__opportunities_owner_user_id" not in proc.stdout
    clean = clean_without_bad_drop / "warehouse" / "funnelcast.duckdb"
    # Every mart, every row (doubles to 9 significant digits), fct_pipeline_weekly included.
    assert differing_tables(chain["published"], clean) == []
    with duckdb.connect(str(chain["published"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.mart_forecast_rollup WHERE node_id = 'unknown_owner'").fetchone()[0] == 0
        latest = con.execute("SELECT latest_drop FROM marts.published_runs ORDER BY published_at DESC LIMIT 1").fetchone()
        assert latest == ("2026-11-16",)
    with duckdb.connect(str(chain["build"]), read_only=True) as con:
        # The full rebuild happened and is recorded: the next runs build incrementally again.
        assert con.execute("SELECT rebuilt_by_run IS NOT NULL FROM ops.retracted_drops").fetchall() == [(True,)]


def test_the_sensor_requests_one_rebuild_and_never_the_retracted_folder(rerun):
    _, before, after = rerun
    assert len(before) == 1 and before[0].startswith(f"retracted:{BAD_DROP}@"), before
    assert after == []


def test_a_drop_with_an_unusable_file_is_retracted_and_the_next_run_succeeds(clean_without_bad_drop, tmp_path):
    folder = tmp_path / "w"
    shutil.copytree(clean_without_bad_drop, folder, symlinks=True)
    config = write_settings(folder, folder / "landing")
    home = folder / "dagster_home"
    published = folder / "warehouse" / "funnelcast.duckdb"
    bad = folder / "landing" / "2026-11-30"
    bad.mkdir()
    (bad / "users.csv").write_text("id,first_name\nu-new,Ann\n", encoding="utf-8")  # user_name missing
    shutil.copyfile(folder / "landing" / "2026-11-16" / "calls.csv", bad / "calls.csv")  # a good file: loaded
    before = sha256(published)

    failed = run_funnelcast("run", config=config, dagster_home=home)
    assert failed.returncode == 1
    assert "2026-11-30/users.csv" in failed.stderr and "user_name" in failed.stderr
    assert sha256(published) == before
    assert counts_of_drop(folder / "warehouse" / "build.duckdb", "2026-11-30").get("raw.calls", 0) > 0

    retracted = run_funnelcast("drop", "retract", "2026-11-30", config=config, dagster_home=home)
    assert retracted.returncode == 0, retracted.stderr
    assert "retracted drop 2026-11-30" in retracted.stdout and "raw.calls" in retracted.stdout
    assert sha256(published) == before  # the published file waits for the next run

    fixed = run_funnelcast("run", config=config, dagster_home=home)
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]
    assert "users.csv" not in fixed.stderr
    assert counts_of_drop(folder / "warehouse" / "build.duckdb", "2026-11-30") == {}
    assert differing_tables(published, clean_without_bad_drop / "warehouse" / "funnelcast.duckdb") == []

    restored = run_funnelcast("drop", "restore", "2026-11-30", config=config, dagster_home=home)
    assert restored.returncode == 0 and "loads" in restored.stdout
    listed = run_funnelcast("drop", "list", config=config, dagster_home=home)
    assert any(l.startswith("2026-11-30") and "not loaded yet" in l for l in listed.stdout.splitlines())


def test_retract_refuses_while_a_refresh_holds_the_lock(clean_without_bad_drop, tmp_path):
    folder = tmp_path / "w"
    shutil.copytree(clean_without_bad_drop, folder, symlinks=True)
    config = write_settings(folder, folder / "landing")
    build = folder / "warehouse" / "build.duckdb"
    before = sha256(build)
    # The lock `funnelcast run` holds for its whole run.
    with open(build.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = run_funnelcast("drop", "retract", "2026-11-16", config=config, dagster_home=folder / "home")
    assert proc.returncode == 1
    assert "a refresh" in proc.stderr and "retract 2026-11-16 when it has finished" in proc.stderr
    assert "Nothing was changed" in proc.stderr
    assert sha256(build) == before


def test_retract_refuses_while_a_client_holds_the_build_file(clean_without_bad_drop, tmp_path):
    folder = tmp_path / "w"
    shutil.copytree(clean_without_bad_drop, folder, symlinks=True)
    config = write_settings(folder, folder / "landing")
    build = folder / "warehouse" / "build.duckdb"
    before = sha256(build)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(build)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        proc = run_funnelcast("drop", "retract", "2026-11-16", config=config, dagster_home=folder / "home")
    finally:
        holder.stdin.close()
        holder.wait()
    assert proc.returncode == 1
    assert f"locked by process {holder.pid}" in proc.stderr
    assert str(folder / "warehouse" / "funnelcast.duckdb") in proc.stderr
    assert sha256(build) == before
    # Once the client is gone, the retraction goes through.
    again = run_funnelcast("drop", "retract", "2026-11-16", config=config, dagster_home=folder / "home")
    assert again.returncode == 0, again.stderr
    assert counts_of_drop(build, "2026-11-16") == {}


def test_retract_an_unknown_drop_lists_the_drops(clean_without_bad_drop, tmp_path):
    folder = tmp_path / "w"
    shutil.copytree(clean_without_bad_drop, folder, symlinks=True)
    config = write_settings(folder, folder / "landing")
    build = folder / "warehouse" / "build.duckdb"
    before = sha256(build)
    proc = run_funnelcast("drop", "retract", "2026-13-01", config=config, dagster_home=folder / "home")
    assert proc.returncode == 2
    assert "no drop named '2026-13-01'" in proc.stderr and "2026-08-31" in proc.stderr and "2026-11-16" in proc.stderr
    assert sha256(build) == before
