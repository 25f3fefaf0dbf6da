"""The last steps of the weekly refresh: publish the marts to the analysts' file, with its checks."""

import warnings
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb as duckdb_client
from dagster_duckdb import DuckDBResource

from funnelcast.one_writer import WRITER_POOL
from funnelcast.settings import Settings, settings_in_force
from ingest.sql_text import quote_ident
from orchestration.assets.dbt import funnelcast_dbt_assets
from orchestration.atomic_publish import (
    PUBLISHED_STORAGE_VERSION,
    mart_docs,
    minimum_reader_version,
    publish,
    published_storage_tag,
)
from orchestration.dbt_project import dbt_project

PUBLISHED_KEY = dg.AssetKey(["published", "marts_file"])

# The oldest client analysts may have: DBeaver's JDBC driver and older Python and R
# packages are DuckDB 1.x.
OLDEST_CLIENT = (1, 0, 0)

# Monday's refresh publishes weekly; a day's grace covers a slow or retried run.
PUBLISHED_MAX_AGE = timedelta(days=8)


def _describe() -> str:
    settings = settings_in_force()
    return (
        f"The analysts' DuckDB file {settings.published_db} (setting published_db): the marts schema of the build "
        f"file {settings.build_db} copied, with every dbt description as a table and column comment, and swapped in "
        f"atomically, in storage version {PUBLISHED_STORAGE_VERSION} (orchestration/atomic_publish.py). Tables whose "
        "content did not change are kept from the previous file, not written again."
    )


@dg.asset(
    key=PUBLISHED_KEY,
    group_name="publish",
    # Downstream of every dbt asset: a failed error-severity dbt test fails the dbt
    # step, so this step never runs and the published file stays as it was.
    deps=list(funnelcast_dbt_assets.keys),
    kinds={"duckdb"},
    pool=WRITER_POOL,
    description=_describe(),
    check_specs=[
        dg.AssetCheckSpec(
            "row_counts_match_build_file", asset=PUBLISHED_KEY,
            description="every published table has exactly the rows of its table in the build file",
        ),
        dg.AssetCheckSpec(
            "readable_by_duckdb_1x", asset=PUBLISHED_KEY,
            description="the file's storage version is one every DuckDB 1.x client reads (DBeaver, older packages)",
        ),
        dg.AssetCheckSpec(
            "every_column_documented", asset=PUBLISHED_KEY,
            description="every published table and column has a comment (its dbt description)",
        ),
    ],
)
def published_marts_file(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: dg.ResourceParam[Settings]
):
    target = settings.published_db
    with duckdb.get_connection() as con:
        publication = publish(con, target, context.run_id, docs=mart_docs(dbt_project().manifest_path))
        mismatched = _row_count_mismatches(con, target)
    context.log.info(
        f"published {len(publication.tables)} tables to {target}: {len(publication.tables_copied)} written from the "
        f"build file, {len(publication.tables_patched)} patched (only their changed rows written), "
        f"{len(publication.tables_kept)} unchanged kept from the previous file"
        + (f" (every table copied: {publication.full_copy_reason})" if publication.full_copy_reason else ""))
    previous = publication.previous
    if previous.state in ("damaged", "held"):
        context.log.warning(f"the previous published file {target}: {previous.describe()}")
    if publication.stale_wal_kept_as:
        context.log.warning(f"the previous published file had a write-ahead log (a client wrote to it): moved to "
                            f"{publication.stale_wal_kept_as}, so that it is not replayed into the new file")
    if publication.leftovers_removed:
        context.log.info("removed what an interrupted publish left behind: " + ", ".join(publication.leftovers_removed))
    storage_tag = published_storage_tag(target)
    undocumented = _undocumented(target)
    yield dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "tables": len(publication.tables),
            "rows_per_table": dg.MetadataValue.json(publication.tables),
            "latest_drop": publication.drops[-1] if publication.drops else "none",
            "storage_version": storage_tag,
            "previous_file": previous.describe(),
            "previous_file_state": previous.state,
            "leftovers_removed": ", ".join(publication.leftovers_removed) or "none",
            # What this publish wrote: tables whose content changed (or every table, and why).
            "tables_copied": dg.MetadataValue.json(list(publication.tables_copied)),
            "tables_kept": dg.MetadataValue.json(list(publication.tables_kept)),
            # Tables of the previous file whose changed rows only were deleted and inserted.
            "tables_patched": dg.MetadataValue.json(
                {name: {"rows_deleted": gone, "rows_inserted": new} for name, (gone, new) in publication.tables_patched.items()}),
            "full_copy_reason": publication.full_copy_reason or "none: the previous file's unchanged tables were kept",
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="row_counts_match_build_file",
                passed=not mismatched,
                metadata={"tables_checked": len(publication.tables),
                          "mismatched": dg.MetadataValue.json(mismatched)},
            ),
            dg.AssetCheckResult(
                check_name="readable_by_duckdb_1x",
                passed=minimum_reader_version(storage_tag) <= OLDEST_CLIENT,
                metadata={"storage_version": storage_tag},
            ),
            dg.AssetCheckResult(
                check_name="every_column_documented",
                passed=not undocumented,
                severity=dg.AssetCheckSeverity.WARN,
                description="Describe them in the models' YAML (dbt_project/models/marts/)." if undocumented else None,
                metadata={"undocumented": dg.MetadataValue.json(undocumented[:50]),
                          "undocumented_count": len(undocumented)},
            ),
        ],
    )


def _row_count_mismatches(build: duckdb_client.DuckDBPyConnection, published: Path) -> dict[str, list[int]]:
    """{table: [build rows, published rows]} for every table whose counts differ, read back from the file."""
    build.execute("ATTACH $path AS published_check (READ_ONLY)", {"path": str(published)})
    try:
        tables = build.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'published_check' "
            "AND table_name <> 'published_runs' ORDER BY ALL"
        ).fetchall()
        mismatched = {}
        for schema, table in tables:
            name = f"{quote_ident(schema)}.{quote_ident(table)}"
            built = build.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            shown = build.execute(f"SELECT count(*) FROM published_check.{name}").fetchone()[0]
            if built != shown:
                mismatched[f"{schema}.{table}"] = [built, shown]
        return mismatched
    finally:
        build.execute("DETACH published_check")


def _undocumented(published: Path) -> list[str]:
    with duckdb_client.connect(str(published), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE coalesce(comment, '') = '' "
                "UNION ALL "
                "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
                "WHERE NOT internal AND coalesce(comment, '') = '' ORDER BY 1"
            ).fetchall()
        ]


# Evaluated by the sensor below (in the Dagster daemon), not only when the file is written:
# a refresh that stopped running is what it is for.  Dagster marks these factories
# superseded by freshness policies, which are not asset checks; the warning would
# print on every command, so it is silenced here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    published_freshness_checks = dg.build_last_update_freshness_checks(
        assets=[PUBLISHED_KEY], lower_bound_delta=PUBLISHED_MAX_AGE
    )
    published_freshness_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=published_freshness_checks, name="published_marts_freshness_sensor",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
