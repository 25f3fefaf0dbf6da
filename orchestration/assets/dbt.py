"""The dbt project as Dagster assets: `dbt build`, so every dbt test is an asset check."""


from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError

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


# How much of a failed test's result the run's failure message shows.
FAILED_TESTS_SHOWN, ROWS_SHOWN = 10, 5


def failed_tests_rows(run_results: Mapping[str, Any], con: Any) -> list[str]:
    """Lines saying what each failed dbt test returned: its first rows, read again from the build
    file once dbt has exited (the test's compiled SQL from run_results.json).  A test that names
    what it found (not_null_columns: the column and its null count) is then named in the run's
    failure message, not only in the dbt log."""
    lines: list[str] = []
    failed = [r for r in run_results.get("results", [])
              if r.get("status") == "fail" and r.get("unique_id", "").startswith("test.") and r.get("compiled_code")]
    for result in failed[:FAILED_TESTS_SHOWN]:
        name = result["unique_id"].split(".")[2]
        try:
            cursor = con.execute(f"select * from ({result['compiled_code']}) as failed_rows limit {ROWS_SHOWN + 1}")
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except Exception as exc:  # the message must not hide the failure it explains
            lines.append(f"dbt test {name} failed (its rows could not be read again: {str(exc).splitlines()[0]})")
            continue
        failures = result.get("failures")
        lines.append(f"dbt test {name} failed" + (f", {failures} row(s):" if failures is not None else ":"))
        lines += ["  " + ", ".join(f"{c}={v}" for c, v in zip(columns, row)) for row in rows[:ROWS_SHOWN]]
        if len(rows) > ROWS_SHOWN:
            lines.append("  ...")
    if len(failed) > FAILED_TESTS_SHOWN:
        lines.append(f"and {len(failed) - FAILED_TESTS_SHOWN} more failed dbt test(s): see the dbt log")
    return lines


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
    invocation = dbt.cli(dbt_build_args(settings.dbt_vars(), full_refresh=asked or bool(retracted)),
                         context=context, target_path=target)
    try:
        yield from invocation.stream()
    except DagsterDbtCliRuntimeError as error:
        # dbt has exited: the failed tests' rows say what they found (which column has nulls).
        try:
            with duckdb.get_connection() as con:
                found = failed_tests_rows(invocation.get_artifact("run_results.json"), con)
        except Exception:
            found = []
        if not found:
            raise
        raise DagsterDbtCliRuntimeError(description="\n".join([*found, "", error.description or ""]),
                                        metadata=error.metadata) from error
    finally:  # a failed test leaves a good parse too
        dbt.keep_parse_state(state_key, target)
        dbt.prune_run_targets()
    # Only a whole build that got this far (no error-severity test failed) leaves them out for good.
    if retracted and not context.is_subset:
        with duckdb.get_connection() as con:
            mark_rebuilt(con, retracted, context.run_id)
