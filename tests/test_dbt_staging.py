"""The dbt staging and intermediate layers on real DuckDB files, built by the real dbt.

One hand-made drop set (a full export, then a weekly delta with updates and
deletions) holds every case with a known answer: an opportunity's stage history, the
upsert and delete rules, a reports-to chain with a cycle and a dangling manager, the
currency conversion and the sales motion.  It is loaded with the real loader and
built with one `dbt build` for the module.  The generated small data set (when
sample_exports/ is there) checks the same reconciliation at volume.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator

import duckdb
import pytest

from ingest.contract import KINDS
from tests.warehouse import dbt_build, load_landing, rows, warned, write_drop_set


# The layers these tests read; marts are other modules' business.  `cautious` keeps
# tests that also read unselected models (marts) out of the run.
# The shared intermediate models only: the issue-specific ones under intermediate/<area>/ read marts.
BUILD_SELECTION = [
    "path:models/staging",
    "int_opportunity_changes", "int_opportunity_stage_visits", "int_user_hierarchy", "int_opportunities",
]

CRM_ENTITIES = {  # raw kind -> (staging model, key column in staging)
    "leads": ("stg_sugarcrm__leads", "lead_id"),
    "opportunities": ("stg_sugarcrm__opportunities", "opportunity_id"),
    "accounts": ("stg_sugarcrm__accounts", "account_id"),
    "users": ("stg_sugarcrm__users", "user_id"),
    "calls": ("stg_sugarcrm__calls", "call_id"),
    "meetings": ("stg_sugarcrm__meetings", "meeting_id"),
}

FULL, DELTA = "2026-01-05", "2026-01-12"

# ----------------------------------------------------------------------------- the drop set

HANDMADE: dict[str, dict[str, list[dict[str, str]]]] = {
    FULL: {
        "users": [
            {"id": "u_vp", "user_name": "vp", "reports_to_id": "", "date_modified": "2026-01-01 00:00:00"},
            {"id": "u_mgr", "user_name": "mgr", "reports_to_id": "u_vp", "date_modified": "2026-01-01 00:00:00"},
            {"id": "u_rep1", "user_name": "rep1", "reports_to_id": "u_mgr", "date_modified": "2026-01-01 00:00:00"},
            {"id": "u_rep2", "user_name": "rep2", "reports_to_id": "u_mgr", "date_modified": "2026-01-01 00:00:00"},
            # A cycle (c1 <-> c2), a user reporting into it, a user reporting to itself.
            {"id": "u_c1", "user_name": "c1", "reports_to_id": "u_c2", "date_modified": "2026-01-01 00:00:00"},
            {"id": "u_c2", "user_name": "c2", "reports_to_id": "u_c1", "date_modified": "2026-01-01 00:00:00"},
            {"id": "u_c3", "user_name": "c3", "reports_to_id": "u_c1", "date_modified": "2026-01-01 00:00:00"},
            {"id": "u_self", "user_name": "self", "reports_to_id": "u_self", "date_modified": "2026-01-01 00:00:00"},
            # A manager who is not in the users file, and a user below that one.
            {"id": "u_d1", "user_name": "d1", "reports_to_id": "u_ghost", "date_modified": "2026-01-01 00:00:00"},
            {"id": "u_d2", "user_name": "d2", "reports_to_id": "u_d1", "date_modified": "2026-01-01 00:00:00"},
        ],
        "accounts": [
            {"id": "acc1", "name": "Acme", "date_entered": "2025-12-01 00:00:00", "date_modified": "2025-12-01 00:00:00"},
            {"id": "acc2", "name": "Globex", "date_entered": "2025-12-01 00:00:00", "date_modified": "2025-12-01 00:00:00"},
        ],
        "leads": [
            {"id": "L1", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-03 08:00:00", "status": "New",
             "first_name": " Ada ", "assigned_user_id": "u_rep1"},
            {"id": "L2", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-01 08:00:00", "status": "New"},
            {"id": "L3", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-01 08:00:00", "status": "New"},
        ],
        "opportunities": [
            # The stage-history case: Prospecting -> Qualification -> Prospecting -> Closed Won.
            {"id": "O1", "name": "Acme first deal", "date_entered": "2026-01-01 09:00:00",
             "date_modified": "2026-01-04 12:00:00", "assigned_user_id": "u_rep1", "account_id": "acc1",
             "opportunity_type": "", "amount": "1500", "currency_id": "", "date_closed": "2026-01-04",
             "sales_stage": "Closed Won", "commit_stage": "Include"},
            # Euros, converted at the rate valid when it was created.
            {"id": "O2", "name": "Globex", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-02 09:00:00", "assigned_user_id": "u_rep2", "account_id": "acc2",
             "opportunity_type": "New Business", "amount": "1000", "currency_id": "eur",
             "date_closed": "2026-03-31", "sales_stage": "Prospecting"},
            # No type; its account had a deal won before it was created: farming.
            {"id": "O3", "name": "Acme upsell", "date_entered": "2026-01-06 09:00:00",
             "date_modified": "2026-01-06 09:00:00", "assigned_user_id": "u_rep1", "account_id": "acc1",
             "amount": "200", "date_closed": "2026-02-28", "sales_stage": "Qualification"},
            # Deleted by the delta.
            {"id": "O4", "name": "To be deleted", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-02 09:00:00", "assigned_user_id": "u_rep2", "amount": "50",
             "date_closed": "2026-02-28", "sales_stage": "Prospecting"},
            # A currency without any rate, and a stage the stage map does not know.
            {"id": "O5", "name": "Pounds", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-02 09:00:00", "assigned_user_id": "u_rep2", "amount": "70",
             "currency_id": "GBP", "date_closed": "2026-02-28", "sales_stage": "Discovery"},
        ],
        "opportunities_audit": [
            {"id": "a1", "parent_id": "O1", "date_created": "2026-01-02 10:00:00", "field_name": "sales_stage",
             "before_value_string": "Prospecting", "after_value_string": "Qualification"},
            {"id": "a2", "parent_id": "O1", "date_created": "2026-01-03 11:00:00", "field_name": "sales_stage",
             "before_value_string": "Qualification", "after_value_string": "Prospecting"},
            {"id": "a3", "parent_id": "O1", "date_created": "2026-01-03 12:00:00", "field_name": "amount",
             "before_value_string": "1000", "after_value_string": "1500"},
            # Saving the record without changing the stage: not a new visit.
            {"id": "a4", "parent_id": "O1", "date_created": "2026-01-03 13:00:00", "field_name": "sales_stage",
             "before_value_string": "Prospecting", "after_value_string": "Prospecting"},
            {"id": "a5", "parent_id": "O1", "date_created": "2026-01-04 12:00:00", "field_name": "sales_stage",
             "before_value_string": "Prospecting", "after_value_string": "Closed Won"},
            {"id": "a6", "parent_id": "O1", "date_created": "2026-01-04 12:00:00", "field_name": "commit_stage",
             "before_value_string": "upside", "after_value_string": "include"},
        ],
        "calls": [
            {"id": "C1", "date_start": "2026-01-01T10:00:00Z", "parent_type": "Leads", "parent_id": "L1", "status": "Held"},
            {"id": "C2", "date_start": "2026-01-02T10:00:00+01:00", "parent_type": "Leads", "parent_id": "L2",
             "status": "Held"},
        ],
        "meetings": [
            {"id": "M1", "date_start": "2026-01-03 10:00:00", "parent_type": "Opportunities", "parent_id": "O1",
             "status": "Held", "date_modified": "2026-01-03 10:00:00"},
        ],
        "currency_rates": [
            {"currency_id": "EUR", "date": "2025-12-01", "rate": "1.10"},
            {"currency_id": "EUR", "date": "2026-01-03", "rate": "1.20"},
        ],
    },
    DELTA: {
        "users": [
            {"id": "u_rep2", "user_name": "rep2", "title": "Senior AE", "reports_to_id": "u_mgr",
             "date_modified": "2026-01-10 00:00:00"},
        ],
        "accounts": [
            {"id": "acc2", "name": "Globex", "date_entered": "2025-12-01 00:00:00", "date_modified": "2026-01-10 00:00:00",
             "deleted": "1"},
        ],
        "leads": [
            # An older version arriving in a later drop: the latest date_modified still wins.
            {"id": "L1", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-02 08:00:00",
             "status": "Dead"},
            {"id": "L2", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-09 08:00:00",
             "status": "Converted", "converted": "1", "opportunity_id": "O3"},
            {"id": "L3", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-09 08:00:00", "status": "New",
             "deleted": "true"},
        ],
        "opportunities": [
            {"id": "O4", "name": "To be deleted", "date_entered": "2026-01-02 09:00:00",
             "date_modified": "2026-01-08 09:00:00", "assigned_user_id": "u_rep2", "amount": "50",
             "date_closed": "2026-02-28", "sales_stage": "Prospecting", "deleted": "1"},
            {"id": "O3", "name": "Acme upsell", "date_entered": "2026-01-06 09:00:00",
             "date_modified": "2026-01-09 09:00:00", "assigned_user_id": "u_rep2", "account_id": "acc1",
             "amount": "250", "date_closed": "2026-02-28", "sales_stage": "Qualification"},
        ],
        "opportunities_audit": [
            {"id": "a7", "parent_id": "O3", "date_created": "2026-01-09 09:00:00", "field_name": "amount",
             "before_value_string": "200", "after_value_string": "250"},
            {"id": "a8", "parent_id": "O3", "date_created": "2026-01-09 09:00:00", "field_name": "assigned_user_id",
             "before_value_string": "u_rep1", "after_value_string": "u_rep2"},
            {"id": "a9", "parent_id": "O4", "date_created": "2026-01-08 09:00:00", "field_name": "sales_stage",
             "before_value_string": "Prospecting", "after_value_string": "Closed Lost"},
        ],
        "calls": [
            {"id": "C1", "date_start": "2026-01-01T10:00:00Z", "parent_type": "Leads", "parent_id": "L1", "status": "Held",
             "deleted": "1"},
        ],
    },
}


@pytest.fixture(scope="module")
def handmade(tmp_path_factory) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """The hand-made drop set, loaded and built; yields a read-only connection and dbt's output."""
    work = tmp_path_factory.mktemp("dbt_handmade")
    write_drop_set(work / "landing", HANDMADE)
    db = work / "build.duckdb"
    load_landing(work / "landing", db)
    proc = dbt_build(db, work, select=BUILD_SELECTION)
    con = duckdb.connect(str(db), read_only=True)
    yield con, proc.stdout
    con.close()


# ----------------------------------------------------------------------------- (a) stage history


def test_stage_history_has_every_visit_including_the_creation_stage(handmade):
    con, _ = handmade
    visits = rows(
        con,
        """
        select visit_seq, stage, stage_order, milestone, visit_number, entered_at, exited_at,
               previous_stage, next_stage, is_regression, is_current, days_in_stage
        from intermediate.int_opportunity_stage_visits
        where opportunity_id = 'O1' order by visit_seq
        """,
    )
    t = dt.datetime
    assert visits == [
        (1, "Prospecting", 1, "srl", 1, t(2026, 1, 1, 9), t(2026, 1, 2, 10), None, "Qualification", False, False,
         pytest.approx(25 / 24)),
        (2, "Qualification", 2, "sql", 1, t(2026, 1, 2, 10), t(2026, 1, 3, 11), "Prospecting", "Prospecting", False,
         False, pytest.approx(25 / 24)),
        # Back to the first stage: its second visit, a regression; the no-op save at 13:00 is not a visit.
        (3, "Prospecting", 1, "srl", 2, t(2026, 1, 3, 11), t(2026, 1, 4, 12), "Qualification", "Closed Won", True,
         False, pytest.approx(25 / 24)),
        (4, "Closed Won", 9, "won", 1, t(2026, 1, 4, 12), None, "Prospecting", None, False, True, None),
    ]


def test_an_opportunity_that_never_changed_stage_has_one_visit_since_creation(handmade):
    con, _ = handmade
    assert rows(
        con,
        "select stage, entered_at, exited_at, visit_number from intermediate.int_opportunity_stage_visits "
        "where opportunity_id = 'O3'",
    ) == [("Qualification", dt.datetime(2026, 1, 6, 9), None, 1)]


def test_changes_start_with_the_value_at_creation(handmade):
    con, _ = handmade
    # O1's amount changed once (1000 -> 1500): created at 1000.  Its commit_stage was
    # created as 'upside'.  O3's owner changed: created with u_rep1.  O2 never changed.
    creation = dict(
        ((opp, field), value)
        for opp, field, value in rows(
            con,
            "select opportunity_id, field_name, value_after from intermediate.int_opportunity_changes "
            "where is_creation",
        )
    )
    assert creation[("O1", "amount")] == "1000"
    assert creation[("O1", "commit_stage")] == "upside"
    assert creation[("O1", "sales_stage")] == "Prospecting"
    assert creation[("O3", "assigned_user_id")] == "u_rep1"
    assert creation[("O2", "assigned_user_id")] == "u_rep2"
    assert creation[("O2", "date_closed")] == "2026-03-31"
    assert rows(
        con,
        "select change_seq, changed_at, value_before, value_after, is_creation from intermediate.int_opportunity_changes "
        "where opportunity_id = 'O1' and field_name = 'amount' order by change_seq",
    ) == [
        (0, dt.datetime(2026, 1, 1, 9), None, "1000", True),
        (1, dt.datetime(2026, 1, 3, 12), "1000", "1500", False),
    ]
    # The deleted opportunity's history is not carried into the intermediate layer.
    assert rows(con, "select count(*) from intermediate.int_opportunity_changes where opportunity_id = 'O4'") == [(0,)]


def test_a_stage_missing_from_the_stage_map_keeps_its_name_and_is_reported(handmade):
    from ingest.vocabularies import unknown_values

    con, output = handmade
    assert rows(
        con,
        "select stage, stage_order, milestone from intermediate.int_opportunity_stage_visits where opportunity_id = 'O5'",
    ) == [("Discovery", None, None)]
    # The run stops on it before dbt (orchestration/assets/raw.py, vocabularies).
    assert [(u.value, u.example_opportunity_id) for u in unknown_values(con) if u.vocabulary == "stage_map"] == [
        ("Discovery", "O5")]


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


def test_every_raw_row_is_staged_superseded_or_deleted(handmade):
    con, _ = handmade
    assert_reconciles(con)


def test_updates_and_deletions_of_the_delta_are_applied(handmade):
    con, _ = handmade
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


def test_amounts_are_converted_at_the_rate_valid_at_creation_and_never_silently_1_to_1(handmade):
    con, _ = handmade
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


def test_motion_comes_from_the_type_else_from_the_accounts_won_deals(handmade):
    con, _ = handmade
    got = dict(rows(con, "select opportunity_id, motion from intermediate.int_opportunities"))
    assert got == {"O1": "hunting", "O2": "hunting", "O3": "farming", "O5": "hunting"}
    assert rows(con, "select commit_stage from staging.stg_sugarcrm__opportunities where opportunity_id = 'O1'") == [
        ("include",)
    ]


# ----------------------------------------------------------------------------- (c) hierarchy


def test_hierarchy_with_a_cycle_and_a_dangling_manager_keeps_every_user(handmade):
    con, output = handmade
    users = {r[0] for r in rows(con, "select user_id from staging.stg_sugarcrm__users")}
    chains: dict[str, list[str]] = {}
    flags: dict[str, tuple[bool, bool]] = {}
    for user, ancestor, _depth, cycle, dangling in rows(
        con,
        "select user_id, ancestor_user_id, depth, has_cycle, has_dangling_manager "
        "from intermediate.int_user_hierarchy order by user_id, depth",
    ):
        chains.setdefault(user, []).append(ancestor)
        flags[user] = (cycle, dangling)
    assert set(chains) == users
    assert chains["u_rep1"] == ["u_rep1", "u_mgr", "u_vp"]
    assert chains["u_c1"] == ["u_c1", "u_c2"]
    assert chains["u_c3"] == ["u_c3", "u_c1", "u_c2"]
    assert chains["u_self"] == ["u_self"]
    assert chains["u_d2"] == ["u_d2", "u_d1"]
    assert {u for u, (cycle, _) in flags.items() if cycle} == {"u_c1", "u_c2", "u_c3", "u_self"}
    assert {u for u, (_, dangling) in flags.items() if dangling} == {"u_d1", "u_d2"}
    assert warned(output, "assert_user_hierarchy_is_clean") == 6


# ----------------------------------------------------------------------------- generated data


@pytest.fixture(scope="module")
def generated(request, tmp_path_factory) -> Iterator[duckdb.DuckDBPyConnection]:
    if importlib.util.find_spec("sample_exports") is None:
        pytest.skip("sample_exports/ is not there yet")
    landing = request.getfixturevalue("small_landing")
    work = tmp_path_factory.mktemp("dbt_generated")
    db = work / "build.duckdb"
    # These tests reconcile the CRM entities: the other kinds only have to build.
    load_landing(landing, db, must_load=[*CRM_ENTITIES, "opportunities_audit"])
    dbt_build(db, work)
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def test_generated_small_data_reconciles(generated):
    assert_reconciles(generated)
    # Every opportunity has a stage history that starts at its creation and ends in its current stage.
    assert rows(
        generated,
        """
        select count(*) from staging.stg_sugarcrm__opportunities o
        left join intermediate.int_opportunity_stage_visits v
          on v.opportunity_id = o.opportunity_id and v.is_current
        where v.stage is distinct from o.sales_stage
        """,
    ) == [(0,)]
