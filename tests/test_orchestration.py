"""The Dagster code location: definitions, the weekly job end to end, schedule and sensor."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from ingest.config import load_settings
from ingest.contract import KINDS
from orchestration.schedules import weekly_refresh_schedule
from orchestration.sensors import new_drop_sensor
from tests.conftest import run_funnelcast, write_settings


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
        result = new_drop_sensor(dg.build_sensor_context(instance=instance))
        assert [r.run_key for r in result.run_requests] == ["drop:2026-11-23"]
        assert result.cursor == "2026-11-23"
        again = new_drop_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert isinstance(again, dg.SkipReason)
        (landing / "2026-11-30").mkdir()
        later = new_drop_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert [r.run_key for r in later.run_requests] == ["drop:2026-11-30"]


@pytest.fixture(scope="module")
def refreshed(small_landing, tmp_path_factory):
    """One real weekly refresh of the small drop set, through the CLI, in its own DAGSTER_HOME."""
    folder = tmp_path_factory.mktemp("refresh")
    landing = folder / "landing"
    shutil.copytree(small_landing, landing)
    config = write_settings(folder, landing)
    home = folder / "dagster_home"
    proc = run_funnelcast("run", config=config, dagster_home=home)
    return folder, landing, config, home, proc


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
