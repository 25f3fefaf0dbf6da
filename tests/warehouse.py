"""Helpers for tests that build a real warehouse from hand-made drops: write, load, dbt build."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pytest

from funnelcast.settings import Settings
from ingest.contract import KINDS
from ingest.load import ensure_raw_schema, load_kind
from ingest.mapping import Mapping as CrmMapping, load_preset
from ingest.vocabularies import load_vocabularies, vocabulary_files

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

DropSet = Mapping[str, Mapping[str, list[dict[str, str]]]]  # drop -> kind -> rows


def write_drop_set(landing: Path, drops: DropSet) -> None:
    """One CSV per kind per drop, with the contract's columns (empty where a row leaves one out)."""
    for drop, files in drops.items():
        folder = landing / drop
        folder.mkdir(parents=True)
        for kind, rows in files.items():
            columns = KINDS[kind].column_names
            with (folder / f"{kind}.csv").open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                for row in rows:
                    writer.writerow({c: row.get(c, "") for c in columns})


def load_landing(landing: Path, db: Path, must_load: Iterable[str] = KINDS, mapping: CrmMapping | None = None) -> None:
    """Load every kind with the real loader, and the mapping's vocabularies (SugarCRM's by default);
    a file of a kind in `must_load` that does not load fails the test."""
    mapping = mapping or load_preset("sugarcrm")
    with duckdb.connect(str(db)) as con:
        ensure_raw_schema(con)
        load_vocabularies(con, vocabulary_files(mapping, None))
        for kind in KINDS:
            result = load_kind(con, landing, kind, mapping=mapping)
            if kind in must_load:
                assert not result.errors, result.errors
            elif result.errors:
                warnings.warn(f"{kind} files did not load (not read by these tests): {result.errors}", stacklevel=2)


def run_dbt(command: str, db: Path, work: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """One real dbt `command` (build, test, ...) against `db`, with the settings' environment;
    returns dbt's process whatever its exit code."""
    env = {**os.environ, **Settings(build_db=db).dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [
        str(DBT), command,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        # Engineers and other tests share the project folder: keep artefacts apart.
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        *args,
    ]
    return subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout)


def dbt_build(
    db: Path,
    work: Path,
    select: Iterable[str] = ("path:models",),
    dbt_vars: Mapping[str, Any] | None = None,
) -> subprocess.CompletedProcess:
    """One real `dbt build` of `select` into `db`; fails the test with dbt's output."""
    # `cautious`: tests that also read unselected models stay out of the run.
    args = ["--select", *select, "--indirect-selection", "cautious"]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    proc = run_dbt("build", db, work, *args)
    if proc.returncode != 0:
        pytest.fail(f"dbt build failed ({proc.returncode}):\n{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}")
    return proc


def build_warehouse(work: Path, drops: DropSet, **build_args: Any) -> tuple[Path, subprocess.CompletedProcess]:
    """Write the drop set, load it and dbt build it in `work`; returns the DuckDB file and dbt's output."""
    write_drop_set(work / "landing", drops)
    db = work / "build.duckdb"
    load_landing(work / "landing", db)
    return db, dbt_build(db, work, **build_args)


def built_warehouse_fixture(
    name: str, drops: DropSet, *, select: Iterable[str], dbt_vars: Mapping[str, Any] | None = None
):
    """A session fixture `name`: the drop set written, loaded and dbt built once for every test module
    that reads it; yields a read-only connection and dbt's output."""

    @pytest.fixture(scope="session", name=name)
    def built(tmp_path_factory) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
        db, proc = build_warehouse(tmp_path_factory.mktemp(name), drops, select=select, dbt_vars=dbt_vars)
        con = duckdb.connect(str(db), read_only=True)
        yield con, proc.stdout
        con.close()

    return built


def warned(dbt_output: str, test_name: str) -> int | None:
    """How many rows a warn-severity dbt test reported (None when it did not warn)."""
    found = re.search(rf"WARN (\d+) {re.escape(test_name)} ", dbt_output)
    return int(found.group(1)) if found else None


def readme_query(heading: str) -> str:
    """The first SQL block under `heading` in the README (the queries analysts copy)."""
    section = (REPO_ROOT / "README.md").read_text(encoding="utf-8").split(heading, 1)[1]
    return section.split("```sql", 1)[1].split("```", 1)[0]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def personal_data_in_marts(con: duckdb.DuckDBPyConnection, tables: Iterable[str] | None = None) -> list[tuple]:
    """(table, column, value) for every value of the marts (all, or `tables`) that is a lead's
    name, e-mail or phone, or looks like an e-mail address."""
    personal = {
        value
        for (value,) in rows(
            con,
            """
            select distinct value from (
                select first_name as value from staging.stg_sugarcrm__leads
                union all select last_name from staging.stg_sugarcrm__leads
                union all select email from staging.stg_sugarcrm__leads
                union all select phone_work from staging.stg_sugarcrm__leads
            ) where value is not null
            """,
        )
    }
    assert personal, "the data set has no personal data to look for"
    columns = rows(
        con,
        "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
        "order by table_name, ordinal_position",
    )
    if tables is not None:
        wanted = set(tables)
        columns = [(t, c) for t, c in columns if t in wanted]
        assert {t for t, _ in columns} == wanted, "a mart to scan does not exist"
    found = []
    for table, column in columns:
        values = {v for (v,) in rows(con, f'select distinct cast("{column}" as varchar) from marts."{table}"')}
        found += [(table, column, v) for v in values & personal]
        found += [(table, column, v) for v in values if v is not None and "@" in v]
    return found
