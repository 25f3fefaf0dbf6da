"""One Dagster asset per export file kind: raw/<kind> loads every new drop into raw.<kind>."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from ingest.contract import FILE_KINDS, FileKind
from ingest.load import load_kind
from orchestration.resources import WAREHOUSE_POOL, SettingsResource


def _raw_asset(kind: FileKind) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", kind.name],
        group_name="raw",
        description=f"raw.{kind.name}: every version of every row of `{kind.name}` files ({kind.description}), "
        "with the drop, file and line it came from.",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        metadata={"required_file": kind.required, "record_key": ", ".join(kind.key)},
    )
    def raw_kind(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            result = load_kind(con, settings.get().landing_dir, kind.name)
            total = con.execute(f"SELECT count(*) FROM raw.{kind.name}").fetchone()[0]
        for f in result.files:
            if not f.skipped:
                context.log.info(f"loaded {f.rows} rows from {f.drop}/{f.file}")
        if result.errors:
            # The good files are committed; the broken ones loaded nothing.  Fail so
            # the run stops before dbt builds on an incomplete raw layer.
            raise dg.Failure(
                description=f"{len(result.errors)} {kind.name} file(s) break the export contract:\n"
                + "\n".join(f"- {e}" for e in result.errors),
                metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in result.errors))},
            )
        return dg.MaterializeResult(
            metadata={
                "files_loaded": result.files_loaded,
                "files_already_loaded": len(result.files) - result.files_loaded,
                "rows_loaded": result.rows_loaded,
                "rows_total": total,
                "drops_loaded": ", ".join(sorted({f.drop for f in result.files if not f.skipped})) or "none",
            }
        )

    return raw_kind


raw_assets = [_raw_asset(kind) for kind in FILE_KINDS]
