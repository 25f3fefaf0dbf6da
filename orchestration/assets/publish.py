"""The last step of the weekly refresh: publish the marts to the analysts' file."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.assets.dbt import funnelcast_dbt_assets
from orchestration.publish import PUBLISHED_STORAGE_VERSION, publish
from orchestration.resources import WAREHOUSE_POOL, SettingsResource


@dg.asset(
    key=["published", "marts_file"],
    group_name="publish",
    # Downstream of every dbt asset: a failed error-severity dbt test fails the dbt
    # step, so this step never runs and the published file stays as it was.
    deps=list(funnelcast_dbt_assets.keys),
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description="The analyst-facing DuckDB file (published_db, default warehouse/marts.duckdb): the marts schema "
    f"copied from the build file and swapped in atomically, in storage version {PUBLISHED_STORAGE_VERSION}.",
)
def published_marts_file(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource
) -> dg.MaterializeResult:
    target = settings.get().published_db
    with duckdb.get_connection() as con:
        publication = publish(con, target, context.run_id)
    context.log.info(f"published {len(publication.tables)} tables to {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "tables": len(publication.tables),
            "rows_per_table": dg.MetadataValue.json(publication.tables),
            "latest_drop": publication.drops[-1] if publication.drops else "none",
        }
    )
