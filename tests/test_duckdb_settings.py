"""DuckDB's memory_limit, threads and temp_directory reach every connection that writes the build file,
and dbt's threads reach dbt.

The settings come from a funnelcast.yaml with values no default has, and are read back with
`current_setting()` from the connections themselves: the loader's (the Dagster `duckdb`
resource, as the raw, vocabulary and publish assets get it) and dbt's (the Dagster `dbt`
resource running a real `dbt run-operation`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from funnelcast.settings import Settings, available_cores, load_settings
from orchestration.resources import build_resources
from tests.conftest import run_funnelcast

SETTINGS_READ_BACK = ("memory_limit", "threads", "temp_directory")

# DuckDB shows a memory limit in binary units with one decimal ('1.3 GiB' for 1500MB).
BINARY_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def shown_bytes(shown: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+) (\w+)", shown.strip()).groups()
    return float(number) * BINARY_UNITS[unit]


@pytest.fixture()
def settings(tmp_path) -> Settings:
    """Settings from a funnelcast.yaml whose DuckDB settings are none of the defaults (1500MB is 10^6-byte
    megabytes; threads 1 on any machine; a spill folder of its own)."""
    config = tmp_path / "funnelcast.yaml"
    config.write_text(
        "build_db: warehouse/build.duckdb\n"
        "published_db: warehouse/funnelcast.duckdb\n"
        "duckdb_memory_limit: 1500MB\n"
        "duckdb_threads: 1\n"
        "duckdb_temp_directory: spill\n"
        "dbt_threads: 3\n",
        encoding="utf-8",
    )
    return load_settings(config)


def assert_configured(found: dict[str, str], folder: Path) -> None:
    assert abs(shown_bytes(found["memory_limit"]) - 1_500_000_000) < 0.1 * 2**30, found
    assert found["threads"] == "1", found
    # Relative to the settings file's folder, as every path setting is.
    assert Path(found["temp_directory"]) == folder / "spill", found


def test_the_loaders_connection_has_the_configured_duckdb_settings(settings, tmp_path):
    warehouse = build_resources(settings)["duckdb"]
    with warehouse.get_connection() as con:
        found = {name: str(con.execute(f"SELECT current_setting('{name}')").fetchone()[0])
                 for name in SETTINGS_READ_BACK}
    assert_configured(found, tmp_path)


def test_dbts_connection_has_the_configured_duckdb_settings(settings, tmp_path):
    dbt = build_resources(settings)["dbt"]
    invocation = dbt.cli(["run-operation", "duckdb_settings"], target_path=tmp_path / "dbt_target")
    messages = [event.raw_event.get("info", {}).get("msg", "") for event in invocation.stream_raw_events()]
    assert invocation.is_successful()
    found = dict(
        line.removeprefix("duckdb_setting ").split("=", 1)
        for message in messages for line in message.splitlines() if line.startswith("duckdb_setting ")
    )
    assert set(found) == set(SETTINGS_READ_BACK), messages[-20:]
    assert_configured(found, tmp_path)
    # dbt's own threads (models built at once) are the settings' too, not the profile's.
    shown = [line for message in messages for line in message.splitlines() if line.startswith("dbt_threads=")]
    assert shown == ["dbt_threads=3"], messages[-20:]


def test_the_defaults_fit_a_laptop_and_spill_beside_the_build_file(tmp_path):
    """No settings file: 3 GB (DuckDB's GB: 10^9 bytes), every core, spilling into the build file's folder."""
    warehouse = build_resources(Settings(build_db=tmp_path / "warehouse" / "build.duckdb"))["duckdb"]
    with warehouse.get_connection() as con:
        limit, threads, temp = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
        ).fetchone()
    assert abs(shown_bytes(limit) - 3_000_000_000) < 0.1 * 2**30
    assert int(threads) == available_cores()
    assert Path(temp) == tmp_path / "warehouse" / "duckdb_tmp"


def test_funnelcast_config_shows_the_duckdb_settings(settings, tmp_path):
    proc = run_funnelcast("config", config=settings.config_file, dagster_home=tmp_path / "dagster_home", check=True)
    shown = json.loads(proc.stdout)
    assert shown["duckdb_memory_limit"] == "1500MB"
    assert shown["duckdb_threads"] == 1
    assert Path(shown["duckdb_temp_directory"]) == tmp_path / "spill"


@pytest.mark.parametrize("setting", ["dbt_threads", "duckdb_threads"])
@pytest.mark.parametrize("value", ["0", "two", "true", "1.5"])
def test_thread_counts_that_are_not_a_count_are_refused_when_the_settings_are_read(tmp_path, setting, value):
    config = tmp_path / "funnelcast.yaml"
    config.write_text(f"{setting}: {value}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=setting):
        load_settings(config)


def test_a_memory_limit_duckdb_cannot_read_is_refused_when_the_settings_are_read(tmp_path):
    config = tmp_path / "funnelcast.yaml"
    config.write_text("duckdb_memory_limit: 3 gigs\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duckdb_memory_limit"):
        load_settings(config)
