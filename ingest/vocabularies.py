"""The vocabularies in force: stage map, forecast categories, opportunity types.

They are the user's files (a preset ships its own, `vocabulary_dir` holds the user's
edited copies), loaded into vocabulary.<name> on every run.  Then every value the
raw data uses is looked up in them: a sales stage, forecast category or opportunity
type that its vocabulary lacks would be counted wrongly by every mart (an unmapped
"Won" is an open deal for ever), so it stops the run before anything is published,
and the message lists each unknown value with its row count, an example opportunity
and the file to edit.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.contract import (
    FORECAST_CATEGORIES, MILESTONES, MOTIONS, STAGE_HISTORY_KINDS, VOCABULARIES, VOCABULARY_BY_NAME,
)
from ingest.load import kinds_provided
from ingest.mapping import PRESETS_DIR, Mapping

SCHEMA = "vocabulary"


class VocabularyError(Exception):
    """A vocabulary file that is unusable, or data values it lacks.  The message says what to edit."""


def vocabulary_files(mapping: Mapping, vocabulary_dir: Path | None) -> dict[str, Path]:
    """For each vocabulary, the user's file in vocabulary_dir when there is one, else the mapping's own."""
    out: dict[str, Path] = {}
    missing = []
    for vocab in VOCABULARIES:
        own = vocabulary_dir / f"{vocab.name}.csv" if vocabulary_dir else None
        if own is not None and own.exists():
            out[vocab.name] = own
        elif vocab.name in mapping.vocabularies:
            out[vocab.name] = mapping.vocabularies[vocab.name]
        else:
            missing.append(vocab.name)
    if missing:
        where = f" or {vocabulary_dir}" if vocabulary_dir else ""
        raise VocabularyError(
            f"no {', '.join(f'{m}.csv' for m in missing)} for mapping {mapping.label}: put one beside the mapping "
            f"file{where} (columns: see docs/mappings.md, 'Vocabularies')"
        )
    return out


def copy_vocabularies(files: dict[str, Path], folder: Path) -> list[Path]:
    """Copy the vocabularies in force to `folder` (for `vocabulary_dir`), leaving existing files alone."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in files.items():
        target = folder / f"{name}.csv"
        if not target.exists():
            shutil.copyfile(path, target)
            written.append(target)
    return written


def _check(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def load_vocabularies(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> dict[str, int]:
    """Replace vocabulary.<name> with each file's rows; every problem of every file at once."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    problems: list[str] = []
    counts = {}
    for vocab in VOCABULARIES:
        path = files[vocab.name]
        label = str(path)
        stage = f"_funnelcast_vocab_{vocab.name}"
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT *, row_number() OVER () + 1 AS _line "
                "FROM read_csv($path, header = true, all_varchar = true, auto_detect = true)",
                {"path": str(path)},
            )
        except duckdb.Error as exc:
            problems.append(f"{label}: cannot be read as CSV: {str(exc).splitlines()[0]}")
            continue
        header = {c.lower(): c for c in con.sql(f"SELECT * FROM {stage} LIMIT 0").columns if c != "_line"}
        absent = [c for c in vocab.column_names if c not in header]
        if absent:
            problems.append(f"{label}: line 1 (header): column(s) {', '.join(absent)} missing; "
                            f"expected {', '.join(vocab.column_names)}")
            continue
        col = {c: f'trim("{header[c]}")' for c in vocab.column_names}
        typed = []
        for c in vocab.columns:
            expr = col[c.name]
            if c.type == "bool":
                expr = f"CASE lower({expr}) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END"
            elif c.type == "integer":
                expr = f"TRY_CAST({expr} AS BIGINT)"
            typed.append(f"{expr} AS {c.name}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stage}_typed AS SELECT {', '.join(typed)}, _line, "
                    f"{', '.join(f'{col[c]} AS {c}_text' for c in vocab.column_names)} FROM {stage}")
        for c in vocab.columns:
            expected = {"bool": "true or false", "integer": "a whole number"}.get(c.type, "a value")
            for line, value in _check(con, f"SELECT _line, {c.name}_text FROM {stage}_typed WHERE {c.name} IS NULL "
                                           "ORDER BY _line LIMIT 20"):
                problems.append(f"{label}: line {line}, column {c.name}: {value!r} is not {expected}")
        allowed = {"stage_map": ("milestone", MILESTONES), "forecast_category_map": ("forecast_category", FORECAST_CATEGORIES),
                   "opportunity_type_map": ("motion", MOTIONS)}[vocab.name]
        listed = ", ".join(f"'{v}'" for v in allowed[1])
        for line, value in _check(con, f"SELECT _line, {allowed[0]} FROM {stage}_typed WHERE {allowed[0]} IS NOT NULL "
                                       f"AND {allowed[0]} NOT IN ({listed}) ORDER BY _line"):
            problems.append(f"{label}: line {line}, column {allowed[0]}: {value!r} is not one of {', '.join(allowed[1])}")
        key_expr = f"lower({vocab.key})" if vocab.name == "forecast_category_map" else vocab.key
        for value, lines in _check(con, f"SELECT {key_expr}, list(_line ORDER BY _line) FROM {stage}_typed "
                                        f"GROUP BY 1 HAVING count(*) > 1 ORDER BY 1"):
            problems.append(f"{label}: lines {', '.join(map(str, lines))}: {vocab.key} {value!r} is listed more than once")
        if vocab.name == "stage_map":
            for line, stage_name in _check(con, f"SELECT _line, crm_stage FROM {stage}_typed "
                                                "WHERE (milestone IN ('won', 'lost')) <> is_closed OR (milestone = 'won') <> is_won"):
                problems.append(f"{label}: line {line}: stage {stage_name!r}: is_closed must be true exactly for the "
                                "won and lost milestones, and is_won exactly for won")
        if not problems:
            con.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{vocab.name} AS SELECT "
                        f"{', '.join(vocab.column_names)} FROM {stage}_typed ORDER BY _line")
            counts[vocab.name] = con.execute(f"SELECT count(*) FROM {SCHEMA}.{vocab.name}").fetchone()[0]
        con.execute(f"DROP TABLE IF EXISTS {stage}")
        con.execute(f"DROP TABLE IF EXISTS {stage}_typed")
    if problems:
        raise VocabularyError("the vocabularies cannot be used:\n" + "\n".join(f"- {p}" for p in problems))
    return counts


@dataclass(frozen=True)
class UnknownValue:
    vocabulary: str
    value: str
    used_in: str  # kind.column
    rows: int
    example_opportunity_id: str | None


# Where the raw data uses each vocabulary's values: (vocabulary, kind, column, filter,
# opportunity id column, how the value is compared).  Every version ever loaded is
# checked, not only the latest: the stage history replays old versions too.
_USES = (
    ("stage_map", "opportunities", "sales_stage", None, "id"),
    ("stage_map", "opportunities_audit", "before_value_string", "field_name = 'sales_stage'", "parent_id"),
    ("stage_map", "opportunities_audit", "after_value_string", "field_name = 'sales_stage'", "parent_id"),
    ("stage_map", "opportunity_history", "sales_stage", None, "opportunity_id"),
    ("forecast_category_map", "opportunities", "commit_stage", None, "id"),
    ("forecast_category_map", "opportunities_audit", "before_value_string", "field_name = 'commit_stage'", "parent_id"),
    ("forecast_category_map", "opportunities_audit", "after_value_string", "field_name = 'commit_stage'", "parent_id"),
    ("forecast_category_map", "opportunity_history", "commit_stage", None, "opportunity_id"),
    ("opportunity_type_map", "opportunities", "opportunity_type", None, "id"),
)


def unknown_values(con: duckdb.DuckDBPyConnection) -> list[UnknownValue]:
    """Every value the raw data uses that its vocabulary lacks, with its row count and an example."""
    found = []
    for vocab_name, kind, column, condition, opp_column in _USES:
        vocab = VOCABULARY_BY_NAME[vocab_name]
        # The forecast category is matched case-insensitively (SugarCRM writes Include and include).
        norm = "lower(trim({}))" if vocab_name == "forecast_category_map" else "trim({})"
        value = norm.format(f"raw.{column}")
        known = norm.format(f"v.{vocab.key}")
        where = f"AND raw.{condition}" if condition else ""
        rows = con.execute(
            f"""
            SELECT trim(raw.{column}) AS value, count(*) AS n, min(raw.{opp_column}) AS example
            FROM raw.{kind} AS raw
            WHERE nullif(trim(raw.{column}), '') IS NOT NULL {where}
              AND NOT EXISTS (SELECT 1 FROM {SCHEMA}.{vocab_name} AS v WHERE {known} = {value})
            GROUP BY 1 ORDER BY n DESC, value
            """
        ).fetchall()
        found += [UnknownValue(vocab_name, v, f"{kind}.{column}", n, ex) for v, n, ex in rows]
    return found


def unknown_values_message(unknown: list[UnknownValue], files: dict[str, Path]) -> str:
    lines = ["values in the data that the vocabularies do not list; nothing was published "
             "(the last good marts stay published). Add each to the file named, then run again:"]
    for vocab in VOCABULARIES:
        mine = [u for u in unknown if u.vocabulary == vocab.name]
        if not mine:
            continue
        path = files[vocab.name]
        hint = ""
        if PRESETS_DIR in path.resolve().parents:
            # A preset's file belongs to the installation: the user edits a copy of it.
            hint = (" is the preset's own: copy it with `funnelcast vocabularies --copy DIR`, add the values there "
                    "and set `vocabulary_dir: DIR`")
        lines.append(f"{vocab.name} ({path}){hint}:")
        for u in mine:
            example = f", e.g. opportunity {u.example_opportunity_id}" if u.example_opportunity_id else ""
            lines.append(f"- {u.value!r} in {u.used_in}: {u.rows} row(s){example}")
    return "\n".join(lines)


def missing_stage_history(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no drop has provided a file of either stage-history kind (a required kind).

    A file with a header and no rows counts as provided: an export whose deals never
    changed has an empty audit log, not a missing one.
    """
    return not set(STAGE_HISTORY_KINDS) & kinds_provided(con)
