"""One Dagster asset per export file kind: raw/<kind> loads every new drop into raw.<kind>."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingest.contract import FILE_KINDS, FileKind
from ingest.load import load_kind
from orchestration.resources import WAREHOUSE_POOL, SettingsResource

# Per file in the load log: rows read = rows loaded + rows rejected, and the raw and
# quarantine tables hold exactly those rows.  Nothing may be dropped silently.
RECONCILE_SQL = """
WITH logged AS (
    SELECT drop_name, file_name, rows_read, rows_loaded, rows_rejected FROM raw.load_log WHERE kind = $kind
),
in_raw AS (SELECT _drop AS drop_name, _file AS file_name, count(*) AS n FROM raw.{kind} GROUP BY ALL),
in_quarantine AS (
    SELECT drop_name, file_name, count(DISTINCT line) AS n FROM raw.rejected_rows WHERE kind = $kind GROUP BY ALL
)
SELECT logged.drop_name || '/' || logged.file_name
FROM logged
LEFT JOIN in_raw USING (drop_name, file_name)
LEFT JOIN in_quarantine USING (drop_name, file_name)
WHERE logged.rows_read IS DISTINCT FROM logged.rows_loaded + logged.rows_rejected
   OR coalesce(in_raw.n, 0) <> logged.rows_loaded
   OR coalesce(in_quarantine.n, 0) <> logged.rows_rejected
"""


def _raw_asset(kind: FileKind) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", kind.name])

    @dg.asset(
        key=key,
        group_name="raw",
        description=f"raw.{kind.name}: every version of every row of `{kind.name}` files ({kind.description}), "
        "with the drop, file and line it came from.",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        metadata={"required_file": kind.required, "record_key": ", ".join(kind.key)},
        check_specs=[
            dg.AssetCheckSpec(
                "rows_reconcile", asset=key, blocking=True,  # a loader defect: nothing downstream may build on it
                description="rows read = rows loaded + rows rejected, per file",
            ),
            dg.AssetCheckSpec("no_rejected_rows", asset=key, description="no row of this kind is in raw.rejected_rows"),
        ],
    )
    def raw_kind(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: SettingsResource):
        current = settings.get()
        with duckdb.get_connection() as con:
            result = load_kind(con, current.landing_dir, kind.name, current.reject_policy())
            total = con.execute(f"SELECT count(*) FROM raw.{kind.name}").fetchone()[0]
            unreconciled = [r[0] for r in con.execute(RECONCILE_SQL.format(kind=kind.name), {"kind": kind.name}).fetchall()]
            rejected = con.execute(
                "SELECT drop_name || '/' || file_name, count(DISTINCT line) FROM raw.rejected_rows WHERE kind = $kind "
                "GROUP BY ALL ORDER BY 1",
                {"kind": kind.name},
            ).fetchall()
        for f in result.files:
            if not f.skipped:
                context.log.info(f"loaded {f.rows} rows from {f.drop}/{f.file}" + (f", quarantined {f.rejected}" if f.rejected else ""))
        if result.errors:
            # The good files are committed; the unusable ones loaded nothing.  Fail so
            # the run stops before dbt builds on an incomplete raw layer.
            raise dg.Failure(
                description=f"{len(result.errors)} {kind.name} file(s) could not be loaded:\n"
                + "\n".join(f"- {e}" for e in result.errors),
                metadata={"errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in result.errors))},
            )
        yield dg.MaterializeResult(
            metadata={
                "files_loaded": result.files_loaded,
                "files_already_loaded": len(result.files) - result.files_loaded,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_rejected,
                "rows_total": total,
                "drops_loaded": ", ".join(sorted({f.drop for f in result.files if not f.skipped})) or "none",
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_reconcile",
                    passed=not unreconciled,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={"files_not_reconciled": ", ".join(unreconciled) or "none"},
                ),
                dg.AssetCheckResult(
                    check_name="no_rejected_rows",
                    passed=not rejected,
                    severity=dg.AssetCheckSeverity.WARN,
                    description="See raw.rejected_rows for the line, column, value and reason of each." if rejected else None,
                    metadata={
                        "rows_quarantined": sum(n for _, n in rejected),
                        "per_file": dg.MetadataValue.json({f: n for f, n in rejected}),
                    },
                ),
            ],
        )

    return raw_kind


raw_assets = [_raw_asset(kind) for kind in FILE_KINDS]
