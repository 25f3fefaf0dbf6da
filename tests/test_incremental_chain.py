"""A chain of weekly delta refreshes equals one full refresh of the same drops, and
`funnelcast run --full-refresh` rebuilds from raw to the same marts.

Build A: one `funnelcast run` over the first FIRST_DROPS drops of the generated `small` set,
then one run after each later drop lands (three deltas).  Build B: one run over every drop
in a fresh folder.  Every relation of the published file's marts schema must hold the same
rows in A and B (compared as scripts/compare_marts.py does: order-independent, floats to 9
significant digits).  Then `funnelcast run --full-refresh` on A must give B's marts again.

The deltas must hold the two changes incremental models get wrong most easily: a record
deleted (SugarCRM's deleted=1) after an earlier drop loaded it, and a deal reopened (closed
in an earlier drop, open again in a delta).  The first test checks that they do, from raw,
so a change to the generator cannot take that coverage away silently.

Cost: six real `funnelcast run`s of the small set (4 for A, 1 for B, 1 full refresh): 7 min 20 s
to 10 min wall on the shared 2-core machine (70 to 100 s a run, most of it start-up, Dagster's
event log and dbt's tests, not data); every test of the module shares them (one module fixture).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from scripts.compare_marts import compare, snapshot_marts
from tests.conftest import run_funnelcast, write_settings

# seed 42 (the generator's default), small: drops 10 to 12 delete records loaded earlier and
# reopen lost deals.  The first test proves it; pick another split if the generator changes.
SEED = 42
FIRST_DROPS = 10
CLOSED_STAGES = ("Closed Won", "Closed Lost")
# The publication's own log (one row per publish), not a mart: A was published four times, B once.
NOT_A_MART = ("published_runs",)


def full_log(proc: subprocess.CompletedProcess) -> str:
    """The run's full Dagster and dbt log, whose path is the summary's last line."""
    found = re.search(r"full log:\s+(\S+)", proc.stdout)
    assert found, proc.stdout
    return Path(found.group(1)).read_text(encoding="utf-8")


def dbt_commands(proc: subprocess.CompletedProcess) -> list[str]:
    return re.findall(r"Running dbt command: `([^`]*)`", full_log(proc))


def published_marts(folder: Path, snapshot_dir: Path) -> Path:
    """The published file's marts of a refreshed folder, snapshotted for `compare`."""
    snapshot_marts(folder / "warehouse" / "funnelcast.duckdb", snapshot_dir / "marts", skip=NOT_A_MART)
    return snapshot_dir


def differences(before: Path, after: Path) -> tuple[int, str]:
    """compare()'s exit status and what it printed (every relation, and the rows that differ)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = compare(before, after)
    return status, printed.getvalue()


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> dict:
    from sample_exports import generate

    source = tmp_path_factory.mktemp("chain_source")
    generate(source, scale="small", seed=SEED, progress=False)
    drops = sorted(p.name for p in source.iterdir() if p.is_dir())
    assert len(drops) >= FIRST_DROPS + 3, drops

    a = tmp_path_factory.mktemp("chain_a")
    for drop in drops[:FIRST_DROPS]:
        shutil.copytree(source / drop, a / "landing" / drop)
    config_a = write_settings(a, a / "landing")
    runs_a = [run_funnelcast("run", config=config_a, dagster_home=a / "dagster_home", check=True)]
    for drop in drops[FIRST_DROPS:]:
        shutil.copytree(source / drop, a / "landing" / drop)
        runs_a.append(run_funnelcast("run", config=config_a, dagster_home=a / "dagster_home", check=True))
    chained = published_marts(a, tmp_path_factory.mktemp("chain_a_marts"))

    b = tmp_path_factory.mktemp("chain_b")
    shutil.copytree(source, b / "landing")
    run_funnelcast("run", config=write_settings(b, b / "landing"), dagster_home=b / "dagster_home", check=True)
    once = published_marts(b, tmp_path_factory.mktemp("chain_b_marts"))

    full = run_funnelcast("run", "--full-refresh", config=config_a, dagster_home=a / "dagster_home", check=True)
    rebuilt = published_marts(a, tmp_path_factory.mktemp("chain_a_full_marts"))
    return {"build_a": a / "warehouse" / "build.duckdb", "deltas": drops[FIRST_DROPS:], "runs_a": runs_a,
            "chained": chained, "once": once, "full_refresh": full, "rebuilt": rebuilt}


def test_the_deltas_delete_records_loaded_earlier_and_reopen_a_closed_deal(chain):
    with duckdb.connect(str(chain["build_a"]), read_only=True) as con:
        kinds = [t for (t,) in con.execute(
            "select table_name from duckdb_columns() where schema_name = 'raw' and column_name = 'deleted'").fetchall()]
        deleted_later = sum(con.execute(
            f"""
            select count(*) from raw.{kind} as gone
            where gone.deleted and list_contains($deltas, gone._drop)
                and exists (select 1 from raw.{kind} as seen where seen.id = gone.id and seen._drop < gone._drop)
            """, {"deltas": chain["deltas"]}).fetchone()[0] for kind in kinds)
        reopened = con.execute(
            """
            with stage_per_drop as (
                select id, _drop, arg_max(sales_stage, date_modified) as stage
                from raw.opportunities where not deleted group by id, _drop
            ),
            moves as (
                select _drop, stage, lag(stage) over (partition by id order by _drop) as stage_before
                from stage_per_drop
            )
            select count(*) from moves
            where list_contains($deltas, _drop) and list_contains($closed, stage_before)
                and not list_contains($closed, stage)
            """, {"deltas": chain["deltas"], "closed": list(CLOSED_STAGES)}).fetchone()[0]
    assert deleted_later > 0, "no delta drop deletes a record an earlier drop loaded: choose another split"
    assert reopened > 0, "no delta drop reopens a deal closed in an earlier drop: choose another split"


def test_a_chain_of_weekly_delta_refreshes_equals_one_full_refresh(chain):
    assert len(chain["runs_a"]) == 1 + len(chain["deltas"]) >= 4
    for run in chain["runs_a"][1:]:
        assert "loaded:        1 new drop " in run.stdout, run.stdout
        assert all("--full-refresh" not in command for command in dbt_commands(run))
    status, printed = differences(chain["once"], chain["chained"])
    assert status == 0, printed
    relations = sorted(p.stem for p in (chain["chained"] / "marts").glob("*.parquet"))
    assert relations == sorted(p.stem for p in (chain["once"] / "marts").glob("*.parquet"))
    assert "fct_pipeline_weekly" in relations and len(relations) > 10


def test_full_refresh_rebuilds_from_raw_and_gives_the_same_marts(chain):
    run = chain["full_refresh"]
    commands = dbt_commands(run)
    assert commands and all(" build " in c and "--full-refresh" in c for c in commands), commands
    assert run.stdout.startswith("weekly refresh (full refresh), run ")
    assert "dbt build:     full refresh, every model rebuilt from raw: asked for (--full-refresh)" in run.stdout
    assert "loaded:        0 new drops" in run.stdout
    status, printed = differences(chain["once"], chain["rebuilt"])
    assert status == 0, printed


def test_every_run_after_the_first_reuses_dbt_s_parse(chain):
    # The first run's settings (a scratch build file) differ from the parse `make setup` made, so
    # dbt may parse everything once; every later run of the same settings starts from that parse.
    for run in [*chain["runs_a"][1:], chain["full_refresh"]]:
        assert "Unable to do partial parsing" not in full_log(run)
