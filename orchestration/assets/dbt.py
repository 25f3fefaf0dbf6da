"""The dbt project as Dagster assets: `dbt build`, so every dbt test is an asset check."""


from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from funnelcast.one_writer import WRITER_POOL
from funnelcast.settings import Settings, settings_in_force
from orchestration.dbt_project import (
    DBT_PROJECT_DIR, REPO_ROOT, WarehouseDbtResource, dbt_project, dbt_vars_args, parse_state_key,
)
from orchestration.jobs import FULL_REFRESH_TAG
from orchestration.resources import WarehouseResource
from orchestration.retract import mark_rebuilt, needs_full_refresh

# dbt folders that become Dagster groups (models/<folder>/...); seeds join staging.
LAYER_GROUPS = ("staging", "intermediate", "marts")


class FunnelcastTranslator(DagsterDbtTranslator):
    """Asset keys mirror the DuckDB schema (staging/stg_..., marts/fct_...), groups the dbt layers."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props.get("fqn", []))

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        # Where to look: the SQL or CSV that defines it and the table it becomes.
        return super().get_description(dbt_resource_props).rstrip() + "\n\n" + where_it_lives(dbt_resource_props)


def where_it_lives(dbt_resource_props: Mapping[str, Any]) -> str:
    """The file a dbt node is defined in and the DuckDB relation it builds."""
    source_file = (DBT_PROJECT_DIR / dbt_resource_props["original_file_path"]).relative_to(REPO_ROOT)
    if dbt_resource_props["resource_type"] not in ("model", "seed", "snapshot"):
        return f"Defined in {source_file}."
    relation = f"{dbt_resource_props['schema']}.{dbt_resource_props.get('alias') or dbt_resource_props['name']}"
    published = " (also published to the analysts' file)" if dbt_resource_props["schema"] == "marts" else ""
    return f"Defined in {source_file}; built as {relation} in {settings_in_force().build_db}{published}."


def layer_of(fqn: list[str]) -> str:
    """The dbt layer of a node from its fully-qualified name (project, folder, ..., name)."""
    for part in fqn[1:-1]:
        if part in LAYER_GROUPS:
            return part
    return "staging"


def dbt_build_args(settings_vars: Mapping[str, Any], full_refresh: bool = False) -> list[str]:
    """`dbt build` with the settings handed over as vars: the models never hard-code them."""
    return ["build", *dbt_vars_args(settings_vars), *(["--full-refresh"] if full_refresh else [])]


def full_refresh_asked(run_tags: Mapping[str, str]) -> bool:
    """Whoever launched the run asked for a full rebuild (`funnelcast run --full-refresh`, or the tag in the UI)."""
    return run_tags.get(FULL_REFRESH_TAG, "").strip().lower() == "true"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=FunnelcastTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=WRITER_POOL,
)
def funnelcast_dbt_assets(context: dg.AssetExecutionContext, dbt: WarehouseDbtResource,
                          settings: dg.ResourceParam[Settings], duckdb: WarehouseResource):
    # The build file's path reaches dbt (profiles.yml) through the resource's env, from the same settings.
    # Opening the build file first also fails fast, naming the process, when a client
    # opened it since the loads; dbt's own error would not say who.
    with duckdb.get_connection() as con:
        retracted = needs_full_refresh(con)
    asked = full_refresh_asked(context.run.tags)
    if asked:
        context.log.info(f"full refresh: the run has the tag {FULL_REFRESH_TAG}=true; every model is rebuilt from raw")
    if retracted:
        context.log.info(f"full refresh: the marts are rebuilt without the retracted drop(s) {', '.join(retracted)}")
    # The last parse of these settings is reused: dbt re-parses only what changed since.
    state_key = parse_state_key(dbt.env, settings.dbt_vars())
    target = dbt.target_with_parse_state(state_key, context.run_id)
    try:
        yield from dbt.cli(dbt_build_args(settings.dbt_vars(), full_refresh=asked or bool(retracted)),
                           context=context, target_path=target).stream()
    finally:  # a failed test leaves a good parse too
        dbt.keep_parse_state(state_key, target)
    # Only a whole build that got this far (no error-severity test failed) leaves them out for good.
    if retracted and not context.is_subset:
        with duckdb.get_connection() as con:
            mark_rebuilt(con, retracted, context.run_id)
