"""Resources: the build DuckDB file, dbt and the settings."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from ingest.config import Settings, load_settings
from orchestration.project import dbt_executable, dbt_project

# Every asset that writes the build file is in this pool, whose limit is 1 (see
# dagster.yaml): DuckDB allows one writer per file, so two writers would fail on its lock.
WAREHOUSE_POOL = "funnelcast_warehouse"


class SettingsResource(dg.ConfigurableResource):
    """The funnelcast.yaml settings, read when a run starts (not when the code loads)."""

    config_path: str | None = None

    def get(self) -> Settings:
        return load_settings(self.config_path)


def build_resources(settings: Settings) -> dict[str, object]:
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    return {
        "duckdb": DuckDBResource(database=str(settings.build_db)),
        "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable()),
        "settings": SettingsResource(config_path=settings.config_file if settings.config_file != "defaults" else None),
    }
