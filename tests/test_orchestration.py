"""The Dagster code location: definitions, the weekly job end to end, schedule and sensor."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from funnelcast.settings import load_settings
from ingest.contract import KINDS
from orchestration.schedules import weekly_refresh_schedule
from orchestration.sensors import new_drop_sensor
from tests.conftest import REPO_ROOT, copy_refresh, run_funnelcast, write_settings


def test_definitions_load_with_one_lineage_from_file_to_model():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for kind in KINDS:
        assert f"raw/{kind}" in keys
        assert graph.get(dg.AssetKey(["raw", kind])).group_name == "raw"
    # The staging model reads the very asset that loads the file: one graph, not two.
    stg_leads = graph.get(dg.AssetKey(["staging", "stg_sugarcrm__leads"]))
    assert dg.AssetKey(["raw", "leads"]) in stg_leads.parent_keys
    job = defs.resolve_job_def("weekly_refresh")
    assert job is not None


def test_schedule_follows_the_settings(tmp_path):
    config = write_settings(tmp_path, tmp_path / "landing", timezone="America/New_York", schedule_cron="0 6 * * 1")
    schedule = weekly_refresh_schedule(load_settings(config))
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone == "America/New_York"
    assert schedule.job_name == "weekly_refresh"


def test_sensor_requests_one_run_per_new_drop_batch(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    (landing / "2026-11-16").mkdir(parents=True)
    (landing / "2026-11-23").mkdir()
    (landing / "_incoming").mkdir()
    monkeypatch.setenv("FUNNELCAST_CONFIG", str(write_settings(tmp_path, landing)))
    with dg.instance_for_test() as instance:
        # No build file yet: nothing is loaded, both drops go in one run.
        result = new_drop_sensor(dg.build_sensor_context(instance=instance))
        assert [r.run_key for r in result.run_requests] == ["drops:2026-11-16..2026-11-23"]
        again = new_drop_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert again.run_requests == []
        (landing / "2026-11-30").mkdir()
        later = new_drop_sensor(dg.build_sensor_context(instance=instance, cursor=again.cursor))
        assert [r.run_key for r in later.run_requests] == ["drops:2026-11-30..2026-11-30"]


def test_after_a_cli_run_the_sensor_requests_nothing_and_a_new_drop_once(demo_refresh, tmp_path, monkeypatch):
    """The load log, not the sensor's own memory, says what is loaded: a fresh cursor after a CLI
    run requests nothing (opening the UI after `make demo` must not refresh again)."""
    folder, _, home, _ = demo_refresh
    landing = tmp_path / "landing"  # the same drop folders (the sensor only lists them)
    for drop in (folder / "landing").iterdir():
        (landing / drop.name).mkdir(parents=True)
    config = write_settings(tmp_path, landing, build_db=str(folder / "warehouse" / "build.duckdb"))
    monkeypatch.setenv("FUNNELCAST_CONFIG", str(config))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        first = new_drop_sensor(dg.build_sensor_context(instance=instance))
        assert first.run_requests == []
        (landing / "2099-01-05").mkdir()
        second = new_drop_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
        assert [r.run_key for r in second.run_requests] == ["drops:2099-01-05..2099-01-05"]
        assert second.run_requests[0].tags["funnelcast/drops"] == "2099-01-05"
        third = new_drop_sensor(dg.build_sensor_context(instance=instance, cursor=second.cursor))
        assert third.run_requests == []


def test_the_sensor_skips_while_a_refresh_writes_the_build_file(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    (landing / "2026-11-16").mkdir(parents=True)
    build = tmp_path / "warehouse" / "build.duckdb"
    build.parent.mkdir()
    monkeypatch.setenv("FUNNELCAST_CONFIG", str(write_settings(tmp_path, landing)))
    # A writer in another process holds DuckDB's lock on the file, as a refresh does.
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(build)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        with dg.instance_for_test() as instance:
            result = new_drop_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SkipReason) and "being written" in result.skip_message
    finally:
        writer.stdin.close()
        writer.wait()


WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
sys.stdin.read()
"""


def test_every_dbt_test_is_an_asset_check_on_the_right_asset():
    import json

    from orchestration.definitions import defs
    from orchestration.dbt_project import dbt_project

    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    manifest = json.loads(dbt_project().manifest_path.read_text())
    tests = [n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert sorted(set(tests) - {name for _, name in checks}) == []
    # The singular tests that read several models are checks of the figure they prove.
    for asset, name in [
        ("marts/mart_forecast_rollup", "assert_forecast_rollup_adds_up"),
        ("marts/mart_campaign_performance", "assert_campaign_performance_reconciles"),
        ("intermediate/int_campaign_credits_allocated", "assert_campaign_credits_add_up_to_one"),
        ("marts/fct_funnel", "assert_funnel_has_every_lead_and_opportunity_once"),
        ("staging/stg_sugarcrm__leads", "assert_no_conflicting_versions_of_leads"),
        # A model's never-null columns are one check of that model (dbt_project/tests/generic/not_null_columns.sql).
        ("staging/stg_sugarcrm__leads", "not_null_columns_stg_sugarcrm__leads"),
        ("intermediate/int_opportunity_weekly_state", "not_null_columns_int_opportunity_weekly_state"),
    ]:
        assert (asset, name) in checks


def test_the_published_file_passed_its_checks_in_the_run(demo_refresh):
    _, _, home, _ = demo_refresh
    key = dg.AssetKey(["published", "marts_file"])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs(limit=1)[0]
        evaluations = {
            e.dagster_event.event_specific_data.check_name: e.dagster_event.event_specific_data
            for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
            if e.dagster_event.event_specific_data.asset_key == key
        }
    assert {name: ev.passed for name, ev in evaluations.items()} == {
        "row_counts_match_build_file": True, "readable_by_duckdb_1x": True, "every_column_documented": True,
        "freshness_check": True,
    }
    assert evaluations["readable_by_duckdb_1x"].metadata["storage_version"].value == "v1.0.0+"


def test_the_row_count_check_finds_a_published_table_that_differs(demo_refresh, tmp_path):
    from orchestration.assets.published_marts_file import _row_count_mismatches

    folder = demo_refresh[0]
    build, published = tmp_path / "build.duckdb", tmp_path / "funnelcast.duckdb"
    shutil.copyfile(folder / "warehouse" / "build.duckdb", build)
    shutil.copyfile(folder / "warehouse" / "funnelcast.duckdb", published)
    with duckdb.connect(str(build)) as con:
        assert _row_count_mismatches(con, published) == {}
        rows = con.execute("SELECT count(*) FROM marts.mart_speed_to_lead").fetchone()[0]
        con.execute("DELETE FROM marts.mart_speed_to_lead WHERE sdr_user_id = 'all'")
        left = con.execute("SELECT count(*) FROM marts.mart_speed_to_lead").fetchone()[0]
        assert _row_count_mismatches(con, published) == {"marts.mart_speed_to_lead": [left, rows]}


def test_the_freshness_check_fails_a_week_and_a_day_after_the_last_publication():
    from dagster._core.test_utils import freeze_time

    from orchestration.assets.published_marts_file import PUBLISHED_KEY, published_freshness_checks

    published_at = dt.datetime(2026, 11, 23, 6, 30, tzinfo=dt.timezone.utc)  # a Monday's refresh
    with dg.instance_for_test() as instance:
        with freeze_time(published_at):
            instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=PUBLISHED_KEY))

        def evaluate(at: dt.datetime) -> bool:
            with freeze_time(at):
                result = dg.materialize(list(published_freshness_checks), instance=instance,
                                        selection=dg.AssetSelection.checks(*published_freshness_checks))
            [evaluation] = result.get_asset_check_evaluations()
            return evaluation.passed

        assert evaluate(published_at + dt.timedelta(days=7, hours=23))
        assert not evaluate(published_at + dt.timedelta(days=8, hours=1))


def test_the_code_location_is_named_funnelcast(tmp_path):
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT, env={**os.environ, "DAGSTER_HOME": str(tmp_path)}, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Validation successful for code location funnelcast." in proc.stderr + proc.stdout


@pytest.fixture(scope="module")
def refreshed(small_refresh, tmp_path_factory):
    """The session's real weekly refresh of the small drop set (conftest.small_refresh), copied with
    its DAGSTER_HOME for this module alone: its tests refresh again and add a broken drop, in order.
    (folder, landing, settings file, Dagster home, the refresh's output)"""
    folder, proc = small_refresh
    return (*copy_refresh(folder, tmp_path_factory.mktemp("refresh") / "copy"), proc)


def _instance(home):
    return dg.DagsterInstance.from_config(str(home))


def test_weekly_refresh_runs_end_to_end_and_is_recorded(refreshed):
    folder, _, _, home, proc = refreshed
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with _instance(home) as instance:
        runs = instance.get_runs()
        assert [(r.job_name, r.status) for r in runs] == [("weekly_refresh", dg.DagsterRunStatus.SUCCESS)]
        for key in (["raw", "leads"], ["staging", "stg_sugarcrm__opportunities"], ["intermediate", "int_opportunity_stage_visits"]):
            assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None, key
    con = duckdb.connect(str(folder / "warehouse" / "build.duckdb"), read_only=True)
    tables = {(s, t) for s, t in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    for kind in KINDS:
        assert ("raw", kind) in tables
    staging = {t for s, t in tables if s == "staging"}
    assert {"stg_sugarcrm__leads", "stg_sugarcrm__opportunities", "stg_sugarcrm__opportunities_audit", "stg_sugarcrm__users",
            "stg_sugarcrm__accounts", "stg_sugarcrm__calls", "stg_sugarcrm__meetings", "stg_marketing__campaigns",
            "stg_marketing__campaign_log", "stg_marketing__mql_events", "stg_marketing__marketing_spend",
            "stg_reference__currency_rates", "stg_reference__targets"} <= staging
    assert con.execute("SELECT count(*) FROM staging.stg_sugarcrm__opportunities").fetchone()[0] > 0
    con.close()


def test_every_dbt_model_and_test_of_the_refresh_is_in_the_event_log(refreshed):
    """The event log a new DAGSTER_HOME gets (orchestration/event_log_storage.py keeps its SQLite
    connections open between events): read back by another process, it holds a materialisation
    of every dbt model and an evaluation of every dbt test of the run, as the UI shows them."""
    from orchestration.assets.dbt import funnelcast_dbt_assets
    from orchestration.event_log_storage import PooledSqliteEventLogStorage

    _, _, _, home, proc = refreshed
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with _instance(home) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        run = instance.get_runs(limit=1)[0]
        materialized = {e.dagster_event.asset_key
                        for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)}
        evaluated = {e.dagster_event.event_specific_data.asset_check_key
                     for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)}
        # The asset index (another SQLite file) agrees with the run's own log.
        latest = instance.get_latest_materialization_event(dg.AssetKey(["marts", "fct_funnel"]))
    assert set(funnelcast_dbt_assets.keys) <= materialized
    assert set(funnelcast_dbt_assets.check_keys) <= evaluated
    assert latest is not None and latest.run_id == run.run_id


def test_a_copied_dagster_home_writes_its_own_event_log(refreshed, tmp_path, monkeypatch):
    """The event log's folder is an absolute path in dagster.yaml: a copy of the home, once a
    funnelcast command has run in it, records its events there and leaves the original's alone."""
    from orchestration.cli import ensure_dagster_home

    home = refreshed[3]
    copy = tmp_path / "moved_home"
    shutil.copytree(home, copy)
    monkeypatch.setenv("DAGSTER_HOME", str(copy))
    assert ensure_dagster_home() == copy.resolve()
    probe = dg.AssetKey(["copied_home_probe"])
    with _instance(copy) as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(probe))
        assert instance.get_latest_materialization_event(probe) is not None
        assert instance.get_runs(limit=1)  # the copy's history came along
    with _instance(home) as original:
        assert original.get_latest_materialization_event(probe) is None


def test_a_second_refresh_loads_nothing_new(refreshed):
    folder, _, config, home, first = refreshed
    assert first.returncode == 0
    db = folder / "warehouse" / "build.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("SELECT count(*), sum(rows_loaded) FROM raw.load_log").fetchone()
    proc = run_funnelcast("run", config=config, dagster_home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), sum(rows_loaded) FROM raw.load_log").fetchone() == before


def test_a_broken_drop_fails_the_run_with_a_message_naming_the_file(refreshed):
    folder, landing, config, home, first = refreshed
    assert first.returncode == 0
    bad = landing / "2099-01-05"
    bad.mkdir()
    (bad / "users.csv").write_text("id,first_name\nu-new,Ann\n", encoding="utf-8")
    try:
        proc = run_funnelcast("run", config=config, dagster_home=home)
    finally:
        shutil.rmtree(bad)
    assert proc.returncode == 1
    assert "2099-01-05/users.csv" in proc.stderr and "user_name" in proc.stderr
    with _instance(home) as instance:
        assert instance.get_runs(limit=1)[0].status == dg.DagsterRunStatus.FAILURE


def test_asset_descriptions_name_the_real_files():
    from orchestration.definitions import defs, settings

    graph = defs.resolve_asset_graph()
    leads = graph.get(dg.AssetKey(["raw", "leads"])).description
    assert f"{settings.landing_dir}/<drop>/leads.csv" in leads and str(settings.build_db) in leads
    mart = graph.get(dg.AssetKey(["marts", "mart_funnel_conversion"])).description
    sql = "dbt_project/models/marts/funnel/mart_funnel_conversion.sql"
    assert f"Defined in {sql}; built as marts.mart_funnel_conversion in {settings.build_db}" in mart
    assert (REPO_ROOT / sql).exists()
    assert str(settings.published_db) in graph.get(dg.AssetKey(["published", "marts_file"])).description
