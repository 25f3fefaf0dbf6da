"""The dbt project as Dagster sees it: built once, shared by the resource and the assets."""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@cache
def dbt_project() -> DbtProject:
    # dagster-dbt's preparer looks for `dbt` on PATH; the venv's bin may not be on it.
    venv_bin = str(Path(dbt_executable()).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # The manifest is built once by `dbt parse` (make setup), not at every import:
    # parsing costs seconds.  The dev server re-parses on load so model edits show;
    # elsewhere a manifest older than the dbt files is re-parsed, because a stale one
    # makes the run fail on models it does not know.
    if manifest_is_stale(project.manifest_path):
        project.preparer.prepare(project)
    else:
        project.prepare_if_dev()
    return project


def manifest_is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    sources = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in ("models", "macros", "tests"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources) > manifest.stat().st_mtime


def dbt_executable() -> str:
    """The venv's dbt: dagster-dbt no longer installs dbt, and the venv may not be on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt is not installed: run `make setup` (it installs dbt-core into .venv)")
    return found
