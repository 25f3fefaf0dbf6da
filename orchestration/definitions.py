"""The Dagster code location `funnelcast`: `dagster dev -w workspace.yaml` loads `defs` from here."""

from __future__ import annotations

import dagster as dg

from funnelcast.settings import Settings, settings_in_force
from orchestration.assets.dbt import funnelcast_dbt_assets
from orchestration.assets.published_marts_file import (
    published_freshness_checks, published_freshness_sensor, published_marts_file,
)
from orchestration.assets.raw import raw_assets, vocabularies
from orchestration.assets.report import monday_report
from orchestration.jobs import weekly_refresh_job
from orchestration.resources import build_resources
from orchestration.schedules import weekly_refresh_schedule
from orchestration.sensors import new_drop_sensor

# Read once: the resources, the schedule, the sensor and the asset descriptions all take this object.
settings = settings_in_force()


def with_file_paths(asset: dg.AssetsDefinition, settings: Settings) -> dg.AssetsDefinition:
    """A raw/<kind> asset whose description names the files it reads (by the mapping in
    force) and the file it writes."""
    mapping = settings.load_mapping()

    def describe(spec: dg.AssetSpec) -> dg.AssetSpec:
        kind = spec.key.path[-1]
        files = " or ".join(f"{settings.landing_dir}/<drop>/{p}" for p in mapping.kinds[kind].patterns)
        return spec.replace_attributes(
            description=f"{spec.description}\n\nReads {files} (mapping {mapping.label}, ingest/load.py); "
            f"writes raw.{kind}, raw.load_log and raw.rejected_rows in {settings.build_db}."
        )

    return asset.map_asset_specs(describe)


defs = dg.Definitions(
    assets=[*(with_file_paths(a, settings) for a in raw_assets), vocabularies, funnelcast_dbt_assets,
            published_marts_file, monday_report],
    asset_checks=[*published_freshness_checks],
    jobs=[weekly_refresh_job],
    schedules=[weekly_refresh_schedule(settings)],
    sensors=[new_drop_sensor, published_freshness_sensor],
    resources=build_resources(settings),
)
