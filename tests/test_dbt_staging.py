"""The dbt staging layer on real DuckDB files, built by the real dbt: the upsert and delete
rules, the currency conversion and the sales motion, on the hand-made staging drop set
(tests/drops/staging.py); the same reconciliation at volume on the generated small data set
(`small_warehouse`).

The intermediate layer's cases are in test_int_opportunity_stage_visits.py and
test_int_user_hierarchy.py.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from ingest.contract import KINDS
from tests.drops.staging import DELTA, FULL
from tests.warehouse import rows


CRM_ENTITIES = {  # raw kind -> (staging model, key column in staging)
    "leads": ("stg_sugarcrm__leads", "lead_id"),
    "opportunities": ("stg_sugarcrm__opportunities", "opportunity_id"),
    "accounts": ("stg_sugarcrm__accounts", "account_id"),
    "users": ("stg_sugarcrm__users", "user_id"),
    "calls": ("stg_sugarcrm__calls", "call_id"),
    "meetings": ("stg_sugarcrm__meetings", "meeting_id"),
}


# ----------------------------------------------------------------------------- (b) reconciliation


def unexplained_raw_rows(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple]:
    """Raw rows of a CRM entity that are neither in staging, nor superseded, nor deleted.

    The rule is restated here independently of the models: versions of one id are
    ordered by date_modified (missing last), then drop, file, line; the first is in force.
    """
    model, key = CRM_ENTITIES[kind]
    has_deleted = "deleted" in KINDS[kind].column_names
    return rows(
        con,
        f"""
        with versions as (
            select trim(id) as id, _drop, _file, _line,
                   {"coalesce(deleted, false)" if has_deleted else "false"} as is_deleted,
                   row_number() over (partition by trim(id)
                       order by date_modified desc nulls last, _drop desc, _file desc, _line desc) as rank
            from raw.{kind}
        ),
        in_force as (select * from versions where rank = 1),
        classified as (
            select versions.id, versions._drop, versions._line,
                   case
                       when staged.{key} is not null then 'in_staging'
                       when in_force.is_deleted then 'deleted'
                       when versions.rank > 1 and exists (
                           select 1 from staging.{model} s where s.{key} = versions.id) then 'superseded'
                   end as explained_as
            from versions
            join in_force using (id)
            left join staging.{model} staged
              on staged.{key} = versions.id and staged.source_drop = versions._drop
             and staged.source_file = versions._file and staged.source_line = versions._line
        )
        select id, _drop, _line from classified where explained_as is null
        """,
    )


def assert_reconciles(con: duckdb.DuckDBPyConnection) -> None:
    for kind, (model, key) in CRM_ENTITIES.items():
        assert unexplained_raw_rows(con, kind) == [], kind
        # And staging holds nothing that raw does not: exactly one row per live id.
        live = rows(
            con,
            f"""
            select count(*) from (
                select id, {"coalesce(deleted, false)" if "deleted" in KINDS[kind].column_names else "false"} as is_deleted,
                       row_number() over (partition by trim(id)
                           order by date_modified desc nulls last, _drop desc, _file desc, _line desc) as rank
                from raw.{kind}) v
            where rank = 1 and not is_deleted
            """,
        )[0][0]
        staged, distinct = rows(con, f"select count(*), count(distinct {key}) from staging.{model}")[0]
        assert staged == distinct == live, kind


def test_every_raw_row_is_staged_superseded_or_deleted(staging_handmade):
    con, _ = staging_handmade
    assert_reconciles(con)


def test_updates_and_deletions_of_the_delta_are_applied(staging_handmade):
    con, _ = staging_handmade
    # L1: the delta's copy is older than the full export's, so the full export's stays.
    assert rows(con, "select lead_id, lead_status, first_name, source_drop from staging.stg_sugarcrm__leads order by 1") == [
        ("L1", "New", "Ada", FULL),
        ("L2", "Converted", None, DELTA),
    ]
    assert rows(con, "select opportunity_id from staging.stg_sugarcrm__opportunities order by 1") == [
        ("O1",), ("O2",), ("O3",), ("O5",),
    ]
    assert rows(con, "select account_id from staging.stg_sugarcrm__accounts") == [("acc1",)]
    assert rows(con, "select call_id, started_at from staging.stg_sugarcrm__calls") == [
        ("C2", dt.datetime(2026, 1, 2, 9)),  # +01:00 stored as UTC
    ]
    assert rows(con, "select title from staging.stg_sugarcrm__users where user_id = 'u_rep2'") == [("Senior AE",)]


def test_amounts_are_converted_at_the_rate_valid_at_creation_and_never_silently_1_to_1(staging_handmade):
    con, _ = staging_handmade
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "select opportunity_id, currency_id, amount_reporting, amount_conversion "
            "from intermediate.int_opportunities",
        )
    }
    assert got["O1"] == (None, 1500, "reporting_currency")
    assert got["O2"] == ("EUR", pytest.approx(1100), "currency_rate")  # 2026-01-02: the 2025-12-01 rate
    assert got["O5"] == ("GBP", None, "no_rate")


def test_motion_comes_from_the_type_else_from_the_accounts_won_deals(staging_handmade):
    con, _ = staging_handmade
    got = dict(rows(con, "select opportunity_id, motion from intermediate.int_opportunities"))
    assert got == {"O1": "hunting", "O2": "hunting", "O3": "farming", "O5": "hunting"}
    assert rows(con, "select commit_stage from staging.stg_sugarcrm__opportunities where opportunity_id = 'O1'") == [
        ("include",)
    ]


# ----------------------------------------------------------------------------- generated data


def test_generated_small_data_reconciles(small_warehouse):
    assert_reconciles(small_warehouse)
    # Every opportunity has a stage history that starts at its creation and ends in its current stage.
    assert rows(
        small_warehouse,
        """
        select count(*) from staging.stg_sugarcrm__opportunities o
        left join intermediate.int_opportunity_stage_visits v
          on v.opportunity_id = o.opportunity_id and v.is_current
        where v.stage is distinct from o.sales_stage
        """,
    ) == [(0,)]


# ----------------------------------------------------------------------------- (c) cleaning text


def test_clean_text_is_trim_with_empty_as_null_whatever_starts_or_ends_a_value(tmp_path):
    """Every text cell of staging goes through clean_text (macros/staging.sql). On DuckDB it
    skips trim() when a value starts and ends with printable ASCII: the result must still be
    exactly nullif(trim(value), ''), for a value starting or ending with any character at all
    (spaces and the Unicode space separators trim removes, tabs and newlines it keeps)."""
    import json

    from tests.warehouse import run_dbt

    characters = [chr(cp) for cp in [*range(1, 0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x30000, 97)]]
    values = [None, "", " ", "  ", "a", "Ab-1", "\u00a0", "\u3000 \u3000", "\t", "\n"]
    for ch in characters:
        values += [ch, f"{ch}a", f"a{ch}", f"{ch}ab{ch}", f" {ch} "]
    db = tmp_path / "probe.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE probe (v VARCHAR)")
        con.execute("INSERT INTO probe SELECT unnest($values)", {"values": values})
    proc = run_dbt("compile", db, tmp_path, "--inline", "select {{ clean_text('v') }} as cleaned from probe",
                   "--output", "json", "--log-format", "text")
    assert proc.returncode == 0, proc.stdout[-4000:]
    compiled = json.loads(proc.stdout[proc.stdout.index("{"):])["compiled"]
    assert "trim(v)" in compiled
    with duckdb.connect(str(db)) as con:
        rows = con.execute(
            f"with cleaned as ({compiled.replace(' from probe', ', v from probe')}) "
            "select count(*), count(*) filter (where cleaned is distinct from nullif(trim(v), '')), "
            "list(v) filter (where cleaned is distinct from nullif(trim(v), ''))[1:5] from cleaned"
        ).fetchone()
    assert rows[0] == len(values) > 300_000
    assert rows[1] == 0, f"clean_text differs from nullif(trim(v), '') on {rows[1]} values, e.g. {rows[2]}"
