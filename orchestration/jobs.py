"""The weekly refresh: every asset, raw files to marts."""

from __future__ import annotations

import dagster as dg

# One writer per DuckDB file: run the steps one after another in one process, and
# tag the run so the run queue starts at most one refresh at a time (dagster.yaml).
REFRESH_CONCURRENCY_TAG = "funnelcast/warehouse-writer"

weekly_refresh_job = dg.define_asset_job(
    name="weekly_refresh",
    selection=dg.AssetSelection.all(),
    description="Load new export drops into raw, then dbt build staging, intermediate and marts (tests included).",
    executor_def=dg.in_process_executor,
    tags={REFRESH_CONCURRENCY_TAG: "1"},
)
