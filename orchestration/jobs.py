"""The weekly refresh: every asset, raw files to marts."""

from __future__ import annotations

import dagster as dg

from funnelcast.one_writer import WRITER_RUN_TAG

# A run with this tag set to "true" rebuilds every dbt model from raw (`dbt build --full-refresh`):
# `funnelcast run --full-refresh` sets it, and so does a launch from the Dagster UI that adds it.
FULL_REFRESH_TAG = "funnelcast/full_refresh"

weekly_refresh_job = dg.define_asset_job(
    name="weekly_refresh",
    selection=dg.AssetSelection.all(),
    description="Load new export drops into raw, then dbt build staging, intermediate and marts (tests included).",
    # One writer per DuckDB file (funnelcast/one_writer.py): the steps run one after another in
    # one process, and the tag lets the run queue start one refresh at a time.
    executor_def=dg.in_process_executor,
    tags={WRITER_RUN_TAG: "1"},
)
