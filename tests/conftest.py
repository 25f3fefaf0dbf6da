"""Shared fixtures: generated drop sets, the warehouses built from them once per session, and
settings files in temporary folders.

Session-scoped and read-only: `small_landing`, `small_warehouse`, `small_refresh`, `demo_refresh` and
the hand-made builds (`<set>_handmade`, `forecast_february`). A test that changes what it is given
takes a private copy (`warehouse`, or a module's own copy of `small_refresh`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.drops import forecast, funnel, marketing, pipeline, staging
from tests.warehouse import built_warehouse_fixture, dbt_build, load_landing

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory) -> Path:
    """A small generated drop set (a full export then weekly deltas), shared read-only."""
    from sample_exports import generate

    out = tmp_path_factory.mktemp("landing_small")
    generate(out, scale="small", seed=7)
    return out


def write_settings(folder: Path, landing: Path, **overrides) -> Path:
    """A funnelcast.yaml in `folder` pointing at `landing`, with its warehouse in `folder`."""
    settings = {
        "landing_dir": str(landing),
        "build_db": str(folder / "warehouse" / "build.duckdb"),
        "published_db": str(folder / "warehouse" / "funnelcast.duckdb"),
        **overrides,
    }
    path = folder / "funnelcast.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def run_funnelcast(*args: str, config: Path, dagster_home: Path, check: bool = False) -> subprocess.CompletedProcess:
    """The real CLI in a child process, against its own settings and Dagster instance."""
    env = {**os.environ, "FUNNELCAST_CONFIG": str(config), "DAGSTER_HOME": str(dagster_home)}
    proc = subprocess.run(
        [str(BIN / "funnelcast"), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"funnelcast {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def refresh_once(folder: Path, landing: Path, ignore: Callable | None = None) -> subprocess.CompletedProcess:
    """`landing` copied to folder/landing and refreshed once by the real CLI, which must succeed:
    folder then holds landing/, funnelcast.yaml, warehouse/ and dagster_home/."""
    shutil.copytree(landing, folder / "landing", ignore=ignore)
    config = write_settings(folder, folder / "landing")
    return run_funnelcast("run", config=config, dagster_home=folder / "dagster_home", check=True)


def copy_refresh(folder: Path, dest: Path) -> tuple[Path, Path, Path, Path]:
    """A private copy of a refreshed folder: (folder, landing, settings file, Dagster home)."""
    from orchestration.cli import follow_moved_home

    shutil.copytree(folder, dest)
    follow_moved_home(dest / "dagster_home")  # as the first `funnelcast` command in the copy would
    return dest, dest / "landing", write_settings(dest, dest / "landing"), dest / "dagster_home"


@pytest.fixture(scope="session")
def small_refresh(small_landing, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The small drop set after one good weekly refresh: (the folder, the run's output). Read-only."""
    folder = tmp_path_factory.mktemp("small_refresh")
    return folder, refresh_once(folder, small_landing)


@pytest.fixture()
def warehouse(small_refresh, tmp_path) -> tuple[Path, Path, Path, Path]:
    """A private copy of the small refresh, so each test can change it: (folder, landing, settings
    file, Dagster home)."""
    return copy_refresh(small_refresh[0], tmp_path / "copy")


@pytest.fixture(scope="session")
def demo_refresh(tmp_path_factory):
    """What `make demo` makes (the medium generated drops, seed 42), refreshed once by the real CLI.

    Shared read-only by the report, docs and summary tests: (folder, config, dagster home, the run's output).
    """
    from sample_exports import generate

    folder = tmp_path_factory.mktemp("demo")
    generate(folder / "landing", scale="medium", seed=42, progress=False)
    config = write_settings(folder, folder / "landing")
    home = folder / "dagster_home"
    proc = run_funnelcast("run", config=config, dagster_home=home, check=True)
    return folder, config, home, proc


@pytest.fixture(scope="session")
def small_warehouse(small_landing, tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The small drop set loaded (every kind must load) and every model built, by the real loader and
    dbt, for the layers' and marts' reconciliations at volume; a read-only connection."""
    work = tmp_path_factory.mktemp("small_warehouse")
    db = work / "build.duckdb"
    load_landing(small_landing, db)
    dbt_build(db, work)
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


# The hand-made drop sets (tests/drops), each built once for every test module that reads it.
funnel_handmade = built_warehouse_fixture(
    "funnel_handmade", funnel.HANDMADE, select=funnel.BUILD_SELECTION, dbt_vars=funnel.HANDMADE_VARS)
marketing_handmade = built_warehouse_fixture(
    "marketing_handmade", marketing.HANDMADE, select=marketing.BUILD_SELECTION, dbt_vars=marketing.HANDMADE_VARS)
pipeline_handmade = built_warehouse_fixture("pipeline_handmade", pipeline.HANDMADE, select=pipeline.BUILD_SELECTION)
forecast_handmade = built_warehouse_fixture("forecast_handmade", forecast.HANDMADE, select=forecast.BUILD_SELECTION)
forecast_february = built_warehouse_fixture(
    "forecast_february", forecast.HANDMADE, select=forecast.BUILD_SELECTION, dbt_vars=forecast.FEBRUARY_VARS)
staging_handmade = built_warehouse_fixture("staging_handmade", staging.HANDMADE, select=staging.BUILD_SELECTION)
