"""The Spark lane: the same dbt project on Spark gives the same marts as on DuckDB.

The `small` drops are refreshed once by the real CLI with `raw_parquet_dir` set (the DuckDB
marts, and the Parquet copies of raw), then `funnelcast dbt build --target spark` builds every
model with a real local PySpark (a real subprocess).  Every relation of the `marts` schema must
then be equal on both: the same relations, the same columns, the same rows and values, floats to 9
significant digits (scripts/compare_marts.py's rule, its code).  Spark's tables are read from its
warehouse folder's Parquet files (`<warehouse>/marts.db/<table>/`) with DuckDB: no pyspark here.

The quick tests: what `raw_parquet_dir` writes (and that nothing is written without it), what
`funnelcast dbt` says when the spark target cannot run, and that the comparison sees what it must.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from funnelcast.settings import Settings
from ingest.parquet_export import PARTIAL_PREFIX, parquet_file, source_tables
from scripts.compare_marts import MART_SCHEMA, compare_relation
from tests.conftest import run_funnelcast, write_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# The marts dbt builds, known at collection time: one model file each (dbt_project.yml puts the
# models/marts folder in the schema marts); test_same_marts checks the builds have exactly these.
MART_MODELS = sorted(p.stem for p in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql"))


@dataclass(frozen=True)
class Refresh:
    folder: Path
    config: Path
    home: Path
    settings: Settings


@dataclass(frozen=True)
class SparkBuild:
    proc: subprocess.CompletedProcess
    seconds: float
    warehouse: Path


@pytest.fixture(scope="module")
def parquet_refresh(small_landing, tmp_path_factory) -> Refresh:
    """The small drops after one real refresh with raw_parquet_dir set. Read-only."""
    from funnelcast.settings import load_settings

    folder = tmp_path_factory.mktemp("spark_lane")
    shutil.copytree(small_landing, folder / "landing")
    config = write_settings(folder, folder / "landing", raw_parquet_dir="raw-parquet")
    run_funnelcast("run", config=config, dagster_home=folder / "dagster_home", check=True)
    return Refresh(folder, config, folder / "dagster_home", load_settings(config))


@pytest.fixture(scope="module")
def spark_build(parquet_refresh) -> SparkBuild:
    """`funnelcast dbt build --target spark` on that refresh, once (minutes: a local Spark on two cores)."""
    started = time.monotonic()
    proc = run_funnelcast("dbt", "build", "--target", "spark", config=parquet_refresh.config,
                          dagster_home=parquet_refresh.home)
    return SparkBuild(proc, time.monotonic() - started, parquet_refresh.settings.spark_warehouse())


def run_results(build: SparkBuild) -> list[dict]:
    path = build.warehouse / "dbt-target" / "run_results.json"
    return json.loads(path.read_text(encoding="utf-8"))["results"] if path.exists() else []


def summary_line(build: SparkBuild) -> str:
    summary = re.findall(r"Done\. PASS=\d+ WARN=\d+ ERROR=\d+ SKIP=\d+.*", build.proc.stdout)
    return (f"funnelcast dbt build --target spark exited {build.proc.returncode} after {build.seconds:.0f} s: "
            + (summary[-1].strip() if summary else "no dbt summary line"))


def dbt_outcome(build: SparkBuild) -> str:
    """dbt's summary line, the nodes that failed with the first line of each error, and where the log is."""
    lines = [summary_line(build)]
    failed = [r for r in run_results(build) if r["status"] in ("error", "fail")]
    for r in failed[:20]:
        lines.append(f"  {r['status']}: {r['unique_id']}: {error_line(r.get('message') or '')}")
    if len(failed) > 20:
        lines.append(f"  ... and {len(failed) - 20} more")
    if "Done. PASS=" not in build.proc.stdout:  # dbt did not get far: its own words are the message
        lines += [build.proc.stdout[-3000:], build.proc.stderr[-3000:]]
    lines.append(f"  dbt's log: {build.warehouse / 'dbt-logs' / 'dbt.log'}")
    return "\n".join(lines)


def error_line(message: str) -> str:
    """What went wrong, from dbt's message for a node ("Runtime Error in model x (path)", "Runtime Error", then
    Spark's own words)."""
    for line in message.splitlines():
        line = line.strip()
        if line and not re.fullmatch(r"\w+ Error( in .*)?", line):
            return line[:300]
    return message.strip()[:300]


def spark_table(warehouse: Path, schema: str, table: str) -> Path:
    """The folder Spark keeps a table's Parquet files in."""
    return warehouse / f"{schema}.db" / table


def spark_marts(warehouse: Path) -> set[str]:
    folder = warehouse / f"{MART_SCHEMA}.db"
    return {p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.parquet"))} if folder.is_dir() else set()


def duckdb_marts(build_db: Path) -> set[str]:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return {t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = ?",
                                          [MART_SCHEMA]).fetchall()}


# ----------------------------------------------------------------------------- the lane


def test_the_spark_build_passes(spark_build):
    if spark_build.proc.returncode != 0:
        pytest.fail(dbt_outcome(spark_build))
    # Spark's metastore and log stay in its warehouse folder, not where the command was run.
    assert (spark_build.warehouse / "metastore_db").is_dir() and (spark_build.warehouse / "derby.log").exists()


def test_spark_builds_the_same_marts(parquet_refresh, spark_build):
    in_duckdb = duckdb_marts(parquet_refresh.settings.build_db)
    in_spark = spark_marts(spark_build.warehouse)
    assert in_duckdb == set(MART_MODELS), "the DuckDB build's marts are not the models of models/marts"
    assert in_spark == in_duckdb, (
        f"only in DuckDB: {sorted(in_duckdb - in_spark)}; only in Spark: {sorted(in_spark - in_duckdb)}\n"
        + dbt_outcome(spark_build))


@pytest.mark.parametrize("mart", MART_MODELS)
def test_each_mart_is_the_same_on_spark(parquet_refresh, spark_build, mart):
    folder = spark_table(spark_build.warehouse, MART_SCHEMA, mart)
    if not any(folder.glob("*.parquet")):
        node = next((r for r in run_results(spark_build) if r["unique_id"] == f"model.funnelcast.{mart}"), None)
        status = ("dbt did not get to it" if node is None
                  else "dbt skipped it: a node it depends on failed" if node["status"] == "skipped"
                  else f"dbt: {node['status']}: {error_line(node.get('message') or '')}")
        pytest.fail(f"{MART_SCHEMA}.{mart}: Spark built no table (no Parquet files in {folder}); {status}\n"
                    f"{summary_line(spark_build)} (test_the_spark_build_passes lists what failed)")
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")  # a timestamp with time zone on one side is read in UTC on both
        con.execute(f"attach '{parquet_refresh.settings.build_db}' as duck (read_only)")
        diff = compare_relation(con, f'duck.{MART_SCHEMA}."{mart}"', f"read_parquet('{folder}/*.parquet')")
    assert diff.same, diff.describe(f"{MART_SCHEMA}.{mart}", "duckdb", "spark")


# ----------------------------------------------------------------------------- raw_parquet_dir


def dbt_sources() -> list[tuple[str, str]]:
    """(schema, table) of every source the dbt project reads, from its sources file."""
    sources = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml").read_text(encoding="utf-8"))
    return sorted((s.get("schema", s["name"]), t["name"]) for s in sources["sources"] for t in s["tables"])


def test_raw_parquet_dir_holds_every_source_table_with_its_rows(parquet_refresh):
    root = parquet_refresh.settings.raw_parquet_dir
    assert root == parquet_refresh.folder / "raw-parquet"  # relative to the settings file's folder
    assert sorted(source_tables()) == dbt_sources()
    with duckdb.connect(str(parquet_refresh.settings.build_db), read_only=True) as con:
        for schema, table in dbt_sources():
            path = parquet_file(root, schema, table)
            assert path.exists(), f"{schema}.{table}: no Parquet copy at {path}"
            in_build = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            in_copy = con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
            assert in_copy == in_build, f"{schema}.{table}: {in_copy} rows in {path}, {in_build} in the build file"
            assert [p.name for p in path.parent.iterdir()] == [path.name], f"{path.parent}: more than the one file"
        # The copies are the tables as loaded: the columns too (a raw kind the drops lack is an empty table).
        leads = parquet_file(root, "raw", "leads")
        assert (con.execute(f"describe select * from read_parquet('{leads}')").fetchall()
                == con.execute("describe raw.leads").fetchall())
    with dg.DagsterInstance.from_config(str(parquet_refresh.home)) as instance:
        for key, (schema, table) in ((["raw", "leads"], ("raw", "leads")),
                                     (["vocabulary", "stage_map"], ("vocabulary", "stage_map"))):
            metadata = instance.get_latest_materialization_event(dg.AssetKey(key)).asset_materialization.metadata
            assert metadata["parquet_file"].value == str(parquet_file(root, schema, table))
            with duckdb.connect() as con:
                assert metadata["parquet_rows"].value == con.execute(
                    f"select count(*) from read_parquet('{parquet_file(root, schema, table)}')").fetchone()[0]


def test_without_raw_parquet_dir_nothing_is_written(small_refresh):
    folder, _ = small_refresh
    assert not list(folder.rglob("*.parquet")), "a refresh without raw_parquet_dir wrote Parquet files"
    assert not list(folder.rglob(f"{PARTIAL_PREFIX}*"))
    with dg.DagsterInstance.from_config(str(folder / "dagster_home")) as instance:
        latest = instance.get_latest_materialization_event(dg.AssetKey(["raw", "leads"]))
        metadata = latest.asset_materialization.metadata
    assert "parquet_file" not in metadata and metadata["rows_total"].value > 0


def test_a_copy_is_replaced_whole_and_a_killed_writes_leftover_goes(tmp_path):
    from ingest.parquet_export import write_parquet

    with duckdb.connect() as con:
        con.execute("create schema raw; create table raw.leads as select range as id from range(3)")
        first = write_parquet(con, "raw", "leads", tmp_path)
        leftover = first.path.parent / f"{PARTIAL_PREFIX}killed.tmp"
        leftover.write_bytes(b"half a file")
        con.execute("insert into raw.leads values (3), (4)")
        second = write_parquet(con, "raw", "leads", tmp_path)
        assert (first.rows, second.rows) == (3, 5) and second.path == first.path
        assert con.execute(f"select count(*) from read_parquet('{second.path}')").fetchone()[0] == 5
    assert [p.name for p in second.path.parent.iterdir()] == ["data.parquet"]


# ----------------------------------------------------------------------------- funnelcast dbt


def test_the_settings_give_every_variable_the_spark_target_reads(tmp_path):
    """profiles.yml's targets and the project's macros read only what Settings.dbt_env provides."""
    read = set()
    for path in [DBT_PROJECT_DIR / "profiles.yml", *(DBT_PROJECT_DIR / "macros").rglob("*.sql")]:
        read |= set(re.findall(r"env_var\(\s*'(\w+)'", path.read_text(encoding="utf-8")))
    env = Settings(build_db=tmp_path / "w" / "build.duckdb", raw_parquet_dir=tmp_path / "raw").dbt_env()
    assert read <= set(env), f"read but not provided: {sorted(read - set(env))}"
    assert env["FUNNELCAST_SPARK_WAREHOUSE"] == str(tmp_path / "w" / "spark-warehouse")
    assert env["FUNNELCAST_RAW_PARQUET_DIR"] == str(tmp_path / "raw")
    assert "FUNNELCAST_RAW_PARQUET_DIR" not in Settings(build_db=tmp_path / "build.duckdb").dbt_env()


def test_the_spark_target_says_what_is_missing(small_landing, tmp_path):
    config = write_settings(tmp_path, small_landing)  # no raw_parquet_dir
    proc = run_funnelcast("dbt", "build", "--target", "spark", config=config, dagster_home=tmp_path / "home")
    assert proc.returncode == 2
    assert "raw_parquet_dir is not set" in proc.stderr and str(config) in proc.stderr, proc.stderr
    config = write_settings(tmp_path, small_landing, raw_parquet_dir="raw-parquet")  # set, never written
    proc = run_funnelcast("dbt", "build", "--target", "spark", config=config, dagster_home=tmp_path / "home")
    assert proc.returncode == 2
    assert "has no Parquet copy of raw.leads" in proc.stderr and "run `funnelcast run`" in proc.stderr, proc.stderr
    assert not (tmp_path / "warehouse" / "spark-warehouse").exists(), "dbt started anyway"


# ----------------------------------------------------------------------------- the comparison


def test_the_comparison_sees_a_value_a_column_and_a_type_but_not_float_noise():
    with duckdb.connect() as con:
        con.execute("create table a as select 1 as id, 0.1 + 0.2 as share, date '2026-01-04' as week_end, 'x' as t")
        con.execute("create table noise as select 1::bigint as id, 0.3::decimal(20, 12) as share, "
                    "date '2026-01-04' as week_end, 'x' as t")
        assert compare_relation(con, "a", "noise").same
        con.execute("create table off as select 1 as id, 0.3000001 as share, date '2026-01-04' as week_end, 'x' as t")
        diff = compare_relation(con, "a", "off")
        assert not diff.same and diff.only_a == [(1, 0.3, date(2026, 1, 4), "x")]
        assert "  + (1, 0.3000001," in diff.describe("marts.a", "duckdb", "spark")
        # A median of an even count, as DuckDB and Spark compute it: 2e-15 apart, either side of the
        # 9th digit's rounding boundary, agree; three units of the 9th digit apart differ.
        con.execute("create table median_a as select 'all' as motion, 19.994218749999998 as days")
        con.execute("create table median_b as select 'all' as motion, 19.99421875 as days")
        assert compare_relation(con, "median_a", "median_b").same
        con.execute("create table median_c as select 'all' as motion, 19.99421899 as days")
        assert compare_relation(con, "median_a", "median_c").only_b == [("all", 19.994219)]
        con.execute("create table retyped as select 1 as id, 0.3 as share, timestamp '2026-01-04' as week_end")
        diff = compare_relation(con, "a", "retyped")
        assert diff.missing_columns == ["t"] and diff.type_changes == ["week_end: DATE -> TIMESTAMP"]


def test_a_clusters_raw_parquet_dir_set_in_the_environment_reaches_dbt(tmp_path, monkeypatch):
    """docs/scale-out.md: raw copied to object storage is named by FUNNELCAST_RAW_PARQUET_DIR, which
    `funnelcast dbt` keeps over the setting (and does not look for on this machine)."""
    from orchestration.cli import dbt_invocation, spark_not_ready

    settings = Settings(build_db=tmp_path / "build.duckdb", raw_parquet_dir=tmp_path / "raw-parquet")
    monkeypatch.setenv("FUNNELCAST_RAW_PARQUET_DIR", "s3://bucket/funnelcast/raw-parquet")
    invocation = dbt_invocation(settings, ["build", "--target", "spark"])
    assert invocation.env["FUNNELCAST_RAW_PARQUET_DIR"] == "s3://bucket/funnelcast/raw-parquet"
    assert not [p for p in spark_not_ready(settings, ["build"]) if "raw_parquet_dir" in p]
    monkeypatch.delenv("FUNNELCAST_RAW_PARQUET_DIR")
    assert dbt_invocation(settings, ["build"]).env["FUNNELCAST_RAW_PARQUET_DIR"] == str(tmp_path / "raw-parquet")
