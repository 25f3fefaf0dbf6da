"""The Dagster code location: `dagster dev -w workspace.yaml` loads `defs` from here."""

from __future__ import annotations

import dagster as dg

from ingest.config import load_settings
from orchestration.assets.dbt import funnelcast_dbt_assets
from orchestration.assets.publish import published_marts_file
from orchestration.assets.raw import raw_assets, vocabularies
from orchestration.jobs import weekly_refresh_job
from orchestration.resources import build_resources
from orchestration.schedules import weekly_refresh_schedule
from orchestration.sensors import new_drop_sensor

settings = load_settings()

defs = dg.Definitions(
    assets=[*raw_assets, vocabularies, funnelcast_dbt_assets, published_marts_file],
    jobs=[weekly_refresh_job],
    schedules=[weekly_refresh_schedule(settings)],
    sensors=[new_drop_sensor],
    resources=build_resources(settings),
)
