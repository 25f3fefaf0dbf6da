"""One Dagster asset per export file kind: raw/<kind> loads every new drop into raw.<kind>."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingest.contract import FILE_KINDS, STAGE_HISTORY_KINDS, VOCABULARIES, FileKind
from ingest.drops import unknown_files
from ingest.load import ensure_raw_schema, kinds_provided, load_kind
from ingest.parquet_export import ParquetCopy, write_parquet
from ingest.vocabularies import (
    VocabularyError, load_vocabularies, missing_stage_history, unknown_values, unknown_values_message,
)
from funnelcast.one_writer import WRITER_POOL
from funnelcast.settings import Settings
from orchestration.retract import retracted

# Per file in the load log: rows read = rows loaded + rows rejected, and the raw and
# quarantine tables hold exactly those rows (raw holds rows_derived: more than the rows
# loaded when a mapping derives several rows from one record, e.g. stage history from
# "date entered" columns).  Nothing may be dropped silently.
RECONCILE_SQL = """
WITH logged AS (
    SELECT drop_name, file_name, rows_read, rows_loaded, rows_rejected, coalesce(rows_derived, rows_loaded) AS rows_derived
    FROM raw.load_log WHERE kind = $kind
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
   OR coalesce(in_raw.n, 0) <> logged.rows_derived
   OR coalesce(in_quarantine.n, 0) <> logged.rows_rejected
"""


def _raw_asset(kind: FileKind) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", kind.name])

    @dg.asset(
        key=key,
        group_name="raw",
        description=f"raw.{kind.name}: every version of every row of `{kind.name}` files ({kind.description}), "
        "with the drop, file and line it came from. With the setting raw_parquet_dir, also copied to "
        f"<raw_parquet_dir>/raw/{kind.name}/data.parquet for dbt's spark target (metadata parquet_file).",
        kinds={"duckdb"},
        pool=WRITER_POOL,
        metadata={"required_file": kind.required, "record_key": ", ".join(kind.key)},
        check_specs=[
            dg.AssetCheckSpec(
                "rows_reconcile", asset=key, blocking=True,  # a loader defect: nothing downstream may build on it
                description="rows read = rows loaded + rows rejected, per file",
            ),
            dg.AssetCheckSpec("no_rejected_rows", asset=key, description="no row of this kind is in raw.rejected_rows"),
        ],
    )
    def raw_kind(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: dg.ResourceParam[Settings]):
        mapping = settings.load_mapping()
        with duckdb.get_connection() as con:
            # A retracted drop stays out until the user restores it (orchestration/retract.py).
            skipped = retracted(con)
            result = load_kind(con, settings.landing_dir, kind.name, settings.reject_policy(), mapping,
                               skip_drops=frozenset(skipped))
            provided = kind.name in kinds_provided(con)
            total = con.execute(f"SELECT count(*) FROM raw.{kind.name}").fetchone()[0]
            unreconciled = [r[0] for r in con.execute(RECONCILE_SQL.format(kind=kind.name), {"kind": kind.name}).fetchall()]
            rejected = con.execute(
                "SELECT drop_name || '/' || file_name, count(DISTINCT line) FROM raw.rejected_rows WHERE kind = $kind "
                "GROUP BY ALL ORDER BY 1",
                {"kind": kind.name},
            ).fetchall()
            missing_required = kind.required and not provided and not result.files
            # For the spark target: raw.<kind> as a Parquet folder, once the load succeeded.
            copy = (write_parquet(con, "raw", kind.name, settings.raw_parquet_dir)
                    if settings.raw_parquet_dir is not None and not missing_required and not result.errors else None)
        if missing_required:
            patterns = ", ".join(mapping.kinds[kind.name].patterns)
            raise dg.Failure(
                description=f"no drop provides {kind.name}, a required kind: mapping {mapping.name} reads it from files "
                f"named {patterns} in {settings.landing_dir}/<drop>/. Nothing was published.",
            )
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
                "drops_retracted": ", ".join(d for d in skipped if (settings.landing_dir / d).exists()) or "none",
                **parquet_metadata(copy),
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


def parquet_metadata(copy: ParquetCopy | None) -> dict[str, object]:
    """An asset's record of the Parquet copy it wrote (raw_parquet_dir), nothing when the setting is unset."""
    if copy is None:
        return {}
    return {"parquet_file": dg.MetadataValue.path(str(copy.path)), "parquet_rows": copy.rows}


def _vocabulary_specs() -> list[dg.AssetSpec]:
    # Checked after every loader that writes a value a vocabulary must know.
    deps = [dg.AssetKey(["raw", k]) for k in ("opportunities", *STAGE_HISTORY_KINDS)]
    return [
        dg.AssetSpec(
            dg.AssetKey(["vocabulary", v.name]),
            group_name="raw",
            description=f"vocabulary.{v.name}: {v.description}; loaded from the file in force (the preset's, or "
            "vocabulary_dir's), after checking that it lists every value of the data. With the setting "
            f"raw_parquet_dir, also copied to <raw_parquet_dir>/vocabulary/{v.name}/data.parquet for dbt's spark "
            "target (metadata parquet_file).",
            kinds={"duckdb"},
            deps=deps,
        )
        for v in VOCABULARIES
    ]


@dg.multi_asset(specs=_vocabulary_specs(), pool=WRITER_POOL, name="vocabularies")
def vocabularies(context: dg.AssetExecutionContext, duckdb: DuckDBResource, settings: dg.ResourceParam[Settings]):
    """Load the vocabularies, then stop the run when the data uses a value they lack.

    A sales stage, forecast category or opportunity type the vocabularies do not list
    cannot be placed (an unmapped "Won" would be an open deal for ever): failing here
    keeps dbt and the publish from running, so the last good marts stay published.
    """
    mapping = settings.load_mapping()
    try:
        files = settings.vocabulary_files()
        with duckdb.get_connection() as con:
            ensure_raw_schema(con)
            skipped = set(retracted(con))
            counts = load_vocabularies(con, files)
            unknown = unknown_values(con)
            no_history = missing_stage_history(con)
            # For the spark target: each vocabulary as a Parquet folder, once the checks passed.
            copies = ({v.name: write_parquet(con, "vocabulary", v.name, settings.raw_parquet_dir) for v in VOCABULARIES}
                      if settings.raw_parquet_dir is not None and not unknown and not no_history else {})
    except VocabularyError as exc:
        raise dg.Failure(description=str(exc)) from exc
    unmatched = [f"{p.parent.name}/{p.name}"
                 for p in unknown_files(settings.landing_dir, mapping, settings.drop_name_pattern)
                 if p.parent.name not in skipped]
    if unmatched:
        context.log.warning(
            f"{len(unmatched)} file(s) match no kind of mapping {mapping.name} and were not loaded: " + ", ".join(unmatched)
        )
    if no_history:
        raise dg.Failure(
            description="no drop provides the stage history (a required kind): mapping "
            f"{mapping.name} reads it as opportunities_audit from "
            f"{', '.join(mapping.kinds['opportunities_audit'].patterns)} or as opportunity_history from "
            f"{', '.join(mapping.kinds['opportunity_history'].patterns)}. Nothing was published.",
            metadata={"unmatched_files": ", ".join(unmatched) or "none"},
        )
    if unknown:
        raise dg.Failure(
            description=unknown_values_message(unknown, files),
            metadata={
                "unknown_values": dg.MetadataValue.json(
                    [{"vocabulary": u.vocabulary, "value": u.value, "used_in": u.used_in, "rows": u.rows,
                      "example_opportunity_id": u.example_opportunity_id} for u in unknown]),
                "unmatched_files": ", ".join(unmatched) or "none",
            },
        )
    for vocab in VOCABULARIES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["vocabulary", vocab.name]),
            metadata={
                "file": str(files[vocab.name]),
                "rows": counts[vocab.name],
                "mapping": mapping.label,
                "unmatched_files": ", ".join(unmatched) or "none",
                **parquet_metadata(copies.get(vocab.name)),
            },
        )
