"""The dbt project as Dagster sees it: built once, shared by the resource and the assets;
and the dbt resource, which hands each dbt invocation the environment profiles.yml reads."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer
from packaging import version

from funnelcast.settings import settings_in_force

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt's parse of the project, kept per settings: dbt re-parses everything when the vars or the
# profile's connection (the build file's path) differ from the parse it is given.
PARSE_STATE_DIR = DBT_PROJECT_DIR / "target" / "parse_state"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# Each dbt invocation writes its own target folder (run-*: manifest, run results, compiled SQL,
# dbt.log; ~18 MB on medium).  The newest are kept for their logs, which a failed run's message
# names; a folder younger than an hour may belong to a run still going.
RUN_TARGETS_KEPT = 10
RUN_TARGET_MIN_AGE_SECONDS = 3600


def dbt_vars_args(settings_vars: Mapping[str, Any]) -> list[str]:
    """`--vars` as every dbt invocation of a run passes it: the parse at build time must pass the
    same, or dbt cannot reuse it ("config vars ... have changed")."""
    return ["--vars", json.dumps(dict(settings_vars), sort_keys=True)]


def parse_state_key(env: Mapping[str, str], settings_vars: Mapping[str, Any]) -> str:
    """What dbt's partial parse depends on and the settings can change: the profile's environment and the vars."""
    text = json.dumps({"env": dict(env), "vars": dict(settings_vars)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextmanager
def environment_for_invocation(env: Mapping[str, str]) -> Iterator[None]:
    """`env` over the process environment while one dbt invocation starts, then as it was.

    dagster-dbt 0.29 builds the environment of a dbt process from os.environ and takes
    none of its own; this is the only place it is touched, and only for the call.
    """
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class WarehouseDbtResource(DbtCliResource):
    """dbt, with the environment profiles.yml reads (the build file's path: `Settings.dbt_env`).

    The dbt process and dagster-dbt's in-process adapter get `env` for the invocation
    only: nothing is left in the process environment for the next run or test to inherit.
    """

    env: dict[str, str] = {}

    def cli(self, args: Sequence[str], **kwargs: Any):
        # The dbt process starts (and copies its environment) inside cli(); its events stream after.
        with environment_for_invocation(self.env):
            return super().cli(args, **kwargs)

    # Two things dagster-dbt does before every dbt process, that cost a run 3 s and give
    # Funnelcast nothing (dagster-dbt 0.29's own hooks, hence the private names):
    @property
    def _cli_version(self) -> version.Version:
        """dbt's version without a `dbt --version` process (2 s): the executable is this venv's
        (dbt_executable), so its version is the installed dbt-core's."""
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No in-process dbt adapter (it loads every dbt macro: 1.3 s): it serves only dagster-dbt's
        fetch_row_counts and fetch_column_metadata, which Funnelcast does not use."""
        return None

    @staticmethod
    def target_with_parse_state(key: str, run_id: str) -> Path:
        """A new target folder for one invocation, holding the last parse of these settings, so
        dbt parses only the files that changed since.  Without one, dagster-dbt copies the parse
        `make setup` made (target/partial_parse.msgpack), which fits the default settings."""
        target = DBT_PROJECT_DIR / "target" / f"run-{run_id[:8]}-{uuid.uuid4().hex[:7]}"
        kept = PARSE_STATE_DIR / f"{key}.msgpack"
        target.mkdir(parents=True)
        if kept.exists():
            shutil.copyfile(kept, target / PARTIAL_PARSE_FILE)
        return target

    @staticmethod
    def prune_run_targets(target_dir: Path = DBT_PROJECT_DIR / "target", now: float | None = None) -> list[Path]:
        """Remove the run-* target folders beyond the newest RUN_TARGETS_KEPT that are older than
        RUN_TARGET_MIN_AGE_SECONDS; the ones removed."""
        now = time.time() if now is None else now
        runs = sorted((p for p in target_dir.glob("run-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
        removed = [p for p in runs[RUN_TARGETS_KEPT:] if now - p.stat().st_mtime > RUN_TARGET_MIN_AGE_SECONDS]
        for path in removed:
            shutil.rmtree(path, ignore_errors=True)
        return removed

    @staticmethod
    def keep_parse_state(key: str, target: Path) -> None:
        """Keep the invocation's parse for the next run of the same settings (replaced atomically:
        runs of other settings may write theirs meanwhile)."""
        parsed = target / PARTIAL_PARSE_FILE
        if not parsed.exists():
            return
        PARSE_STATE_DIR.mkdir(parents=True, exist_ok=True)
        partial = PARSE_STATE_DIR / f".{key}.{uuid.uuid4().hex[:7]}"
        shutil.copyfile(parsed, partial)
        os.replace(partial, PARSE_STATE_DIR / f"{key}.msgpack")


class WarehouseDbtPreparer(DagsterDbtProjectPreparer):
    """`dbt parse` with the venv's dbt and the settings' dbt environment (profiles.yml has no defaults)
    and vars: the parse every run of these settings reuses."""

    def _prepare_manifest(self, project: DbtProject) -> None:
        settings = settings_in_force()
        WarehouseDbtResource(project_dir=project, dbt_executable=dbt_executable(), env=settings.dbt_env()).cli(
            [*self._prepare_project_cli_args, *dbt_vars_args(settings.dbt_vars())],
            target_path=project.target_path).wait()
        self._invalidate_seeds_in_partial_parse(project)


def parse_project() -> Path:
    """`dbt parse` now (make setup): the manifest Dagster reads and the parse the runs reuse."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    WarehouseDbtPreparer().prepare(project)
    return project.manifest_path


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    preparer = WarehouseDbtPreparer()
    # The manifest is built once by `dbt parse` (make setup), not at every import:
    # parsing costs seconds.  The dev server re-parses on load so model edits show;
    # elsewhere a manifest older than the dbt files is re-parsed, because a stale one
    # makes the run fail on models it does not know.
    if manifest_is_stale(project.manifest_path):
        preparer.prepare(project)
    else:
        preparer.prepare_if_dev(project)
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
