"""Shared fixtures: generated drop sets and settings files in temporary folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
