"""The dbt project as Dagster sees it: built once, shared by the resource and the assets."""

from __future__ import annotations

import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # The manifest is built once by `dbt parse` (make setup); only the dev server
    # re-parses on load so that model edits show without a rebuild.
    project.prepare_if_dev()
    return project


def dbt_executable() -> str:
    """The venv's dbt: dagster-dbt no longer installs dbt, and the venv may not be on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt is not installed: run `make setup` (it installs dbt-core into .venv)")
    return found
