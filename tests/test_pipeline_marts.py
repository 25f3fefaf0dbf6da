"""The qualified pipeline marts (issue 4) on real DuckDB files, built by the real dbt.

A hand-made history of five opportunities in fiscal 2026-Q1 (the fiscal year starts in
January, weeks end on Sunday) holds the cases with answers worked out by hand: the
as-of state at chosen week ends, days in stage with a regression, a close date pushed
out of the quarter early (pushed) and late (slipped), the weekly movement, the four V's
and stage velocity.  The generated small data set, loaded in two steps, proves the
incremental build equals a full refresh, that the movement reconciles for every week
and owner, and that the latest week shows the current records.

Calendar used below (2026): Sundays Jan 11, 18, 25, Feb 1, 8, 15, 22, Mar 1, 8, 15.
Q1 = Jan 1 .. Mar 31; its last third is March.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from ingest.drops import find_drops
from tests.warehouse import dbt_build, load_landing, rows, warned, write_drop_set

# Everything the pipeline marts need, and nothing else (the funnel marts are other
# modules' business); `cautious` keeps tests on unselected models out of the run.
BUILD_SELECTION = ["+path:models/marts/pipeline"]

D, T = dt.date, dt.datetime

# ----------------------------------------------------------------------------- the history

USERS = [
    {"id": "u_mgr", "user_name": "mgr"},
    {"id": "u_rep_a", "user_name": "rep_a", "reports_to_id": "u_mgr"},
    {"id": "u_rep_b", "user_name": "rep_b", "reports_to_id": "u_mgr"},
]


def opportunity(oid, created, modified, owner, otype, amount, close, stage, commit, **extra) -> dict[str, str]:
    return {
        "id": oid, "name": oid, "date_entered": created, "date_modified": modified, "assigned_user_id": owner,
        "opportunity_type": otype, "amount": amount, "date_closed": close, "sales_stage": stage,
        "commit_stage": commit, **extra,
    }


def change(aid, oid, at, field, before, after) -> dict[str, str]:
    return {"id": aid, "parent_id": oid, "date_created": at, "field_name": field,
            "before_value_string": before, "after_value_string": after}


# The current records (the audit log replayed from the creation values ends here).
OPPORTUNITIES = [
    # OA, hunting: Prospecting -> Qualification -> Needs Analysis -> back to
    # Qualification -> Needs Analysis again -> won; handed from rep_a to rep_b.
    opportunity("OA", "2026-01-05 09:00:00", "2026-02-10 10:00:00", "u_rep_b", "New Business", "12000",
                "2026-02-10", "Closed Won", "include"),
    # OB, farming: created in Qualification; its close date is moved out of Q1 on a
    # Wednesday in February (early in the quarter: pushed out).
    opportunity("OB", "2026-01-06 09:00:00", "2026-02-22 23:30:00", "u_rep_b", "Existing Business", "5000",
                "2026-04-15", "Qualification", "include"),
    # OC, hunting, never qualified: its close date is moved out of Q1 on a Tuesday in
    # March (the last third: slipped), then it is lost with the close date of that day.
    opportunity("OC", "2026-01-08 09:00:00", "2026-03-10 10:00:00", "u_rep_a", "New Business", "8000",
                "2026-03-10", "Closed Lost", "exclude"),
    # OD, farming, in euros: 1000 EUR, then 2000 EUR; the CRM converted today's amount to 2200 USD.
    opportunity("OD", "2026-02-02 09:00:00", "2026-02-23 00:00:00", "u_rep_b", "Existing Business", "2000",
                "2026-03-31", "Qualification", "include", currency_id="EUR", amount_usdollar="2200"),
    # OE, hunting: created in Needs Analysis (qualified), lost.
    opportunity("OE", "2026-01-12 09:00:00", "2026-02-11 10:00:00", "u_rep_a", "New Business", "20000",
                "2026-02-11", "Closed Lost", "exclude"),
]

AUDIT = [
    change("a01", "OA", "2026-01-07 10:00:00", "sales_stage", "Prospecting", "Qualification"),
    change("a02", "OA", "2026-01-14 10:00:00", "sales_stage", "Qualification", "Needs Analysis"),
    change("a03", "OA", "2026-01-14 10:00:00", "amount", "10000", "12000"),
    change("a04", "OA", "2026-01-20 10:00:00", "sales_stage", "Needs Analysis", "Qualification"),
    change("a05", "OA", "2026-01-21 10:00:00", "commit_stage", "exclude", "upside"),
    change("a06", "OA", "2026-01-27 10:00:00", "sales_stage", "Qualification", "Needs Analysis"),
    change("a07", "OA", "2026-02-03 10:00:00", "assigned_user_id", "u_rep_a", "u_rep_b"),
    change("a08", "OA", "2026-02-10 10:00:00", "sales_stage", "Needs Analysis", "Closed Won"),
    change("a09", "OA", "2026-02-10 10:00:00", "date_closed", "2026-03-20", "2026-02-10"),
    change("a10", "OA", "2026-02-10 10:00:00", "commit_stage", "upside", "include"),
    change("b01", "OB", "2026-02-04 11:00:00", "date_closed", "2026-03-15", "2026-04-15"),
    # Half an hour before the end of Sunday 2026-02-22: in that week's state.
    change("b02", "OB", "2026-02-22 23:30:00", "commit_stage", "upside", "include"),
    change("c01", "OC", "2026-03-03 11:00:00", "date_closed", "2026-03-25", "2026-05-10"),
    change("c02", "OC", "2026-03-10 10:00:00", "sales_stage", "Prospecting", "Closed Lost"),
    change("c03", "OC", "2026-03-10 10:00:00", "date_closed", "2026-05-10", "2026-03-10"),
    change("d01", "OD", "2026-02-10 09:00:00", "amount", "1000", "2000"),
    # Monday 00:00 after 2026-02-22: not in that week's state.
    change("d02", "OD", "2026-02-23 00:00:00", "commit_stage", "upside", "include"),
    change("e01", "OE", "2026-02-11 10:00:00", "sales_stage", "Needs Analysis", "Closed Lost"),
    change("e02", "OE", "2026-02-11 10:00:00", "date_closed", "2026-02-28", "2026-02-11"),
]

HANDMADE = {
    "2026-03-16": {
        "users": USERS,
        "leads": [],
        "opportunities": OPPORTUNITIES,
        "opportunities_audit": AUDIT,
        "currency_rates": [{"currency_id": "EUR", "date": "2026-01-01", "rate": "1.05"}],
    },
}


@pytest.fixture(scope="module")
def handmade(tmp_path_factory) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """The hand-made history, loaded and built once; a read-only connection and dbt's output."""
    work = tmp_path_factory.mktemp("pipeline_handmade")
    write_drop_set(work / "landing", HANDMADE)
    db = work / "build.duckdb"
    load_landing(work / "landing", db)
    proc = dbt_build(db, work, select=BUILD_SELECTION)
    con = duckdb.connect(str(db), read_only=True)
    yield con, proc.stdout
    con.close()


def state(con, opportunity_id: str, week_end: dt.date) -> dict:
    found = con.execute(
        "select * from marts.fct_pipeline_weekly where opportunity_id = ? and week_end = ?",
        [opportunity_id, week_end],
    )
    names = [d[0] for d in found.description]
    got = found.fetchall()
    assert len(got) == 1, (opportunity_id, week_end, got)
    return dict(zip(names, got[0]))


# ----------------------------------------------------------------------------- as-of state


def test_the_spine_has_open_weeks_and_the_closing_week_only(handmade):
    con, _ = handmade
    weeks = {}
    for opp, week in rows(con, "select opportunity_id, week_end from marts.fct_pipeline_weekly order by 1, 2"):
        weeks.setdefault(opp, []).append(week)
    sundays = [D(2026, 1, 11) + dt.timedelta(days=7 * i) for i in range(10)]  # Jan 11 .. Mar 15
    # OA: created Mon Jan 5, won Tue Feb 10 -> open at Jan 11 .. Feb 8, closing week Feb 15.
    assert weeks["OA"] == sundays[0:6]
    # OB: open from Jan 11 to the spine's end, Mar 15 (the week end of the latest change, Mar 10).
    assert weeks["OB"] == sundays
    # OC: open Jan 11 .. Mar 8, lost Tue Mar 10 -> closing week Mar 15.
    assert weeks["OC"] == sundays
    # OD: created Mon Feb 2 -> Feb 8 .. Mar 15.
    assert weeks["OD"] == sundays[4:]
    # OE: created Mon Jan 12 -> Jan 18 .. Feb 8, lost Wed Feb 11 -> closing week Feb 15.
    assert weeks["OE"] == sundays[1:6]
    # 6 + 10 + 10 + 6 + 5
    assert rows(con, "select count(*) from marts.fct_pipeline_weekly") == [(37,)]


def test_as_of_state_at_three_week_ends(handmade):
    con, _ = handmade
    # Sun Jan 11: in Qualification since Wed Jan 7 10:00; the creation values still hold
    # (amount 10000 until Jan 14, close date 2026-03-20, commit_stage exclude, rep_a).
    s = state(con, "OA", D(2026, 1, 11))
    assert (s["stage"], s["stage_order"], s["milestone"], s["is_open"], s["is_qualified"]) == (
        "Qualification", 2, "sql", True, True)
    assert s["stage_entered_at"] == T(2026, 1, 7, 10)
    assert s["qualified_at"] == T(2026, 1, 7, 10)
    assert (s["amount_reporting"], s["close_date"], s["close_fiscal_quarter"]) == (10000, D(2026, 3, 20), "FY2026-Q1")
    assert (s["forecast_category"], s["owner_user_id"]) == ("omitted", "u_rep_a")
    assert (s["is_won_this_week"], s["is_lost_this_week"]) == (False, False)

    # Sun Jan 25: back in Qualification since Tue Jan 20 (its second visit), amount 12000
    # since Jan 14, upside since Jan 21, still rep_a's; qualified since the first visit.
    s = state(con, "OA", D(2026, 1, 25))
    assert (s["stage"], s["stage_entered_at"], s["qualified_at"]) == ("Qualification", T(2026, 1, 20, 10), T(2026, 1, 7, 10))
    assert (s["amount_reporting"], s["forecast_category"], s["owner_user_id"]) == (12000, "best_case", "u_rep_a")

    # Sun Feb 8: Needs Analysis again since Tue Jan 27; rep_b's since Tue Feb 3.
    s = state(con, "OA", D(2026, 2, 8))
    assert (s["stage"], s["stage_entered_at"], s["owner_user_id"]) == ("Needs Analysis", T(2026, 1, 27, 10), "u_rep_b")
    assert (s["amount_reporting"], s["close_date"], s["forecast_category"]) == (12000, D(2026, 3, 20), "best_case")

    # Sun Feb 15, the closing week: won on Tue Feb 10 with the close date of that day.
    s = state(con, "OA", D(2026, 2, 15))
    assert (s["stage"], s["is_open"], s["is_qualified"], s["is_won_this_week"], s["is_lost_this_week"]) == (
        "Closed Won", False, False, True, False)
    assert (s["close_date"], s["forecast_category"]) == (D(2026, 2, 10), "commit")


def test_a_change_counts_until_the_end_of_the_week_end_day(handmade):
    con, _ = handmade
    # OB's commit at Sun Feb 22 23:30 is in that week; OD's at Mon Feb 23 00:00 is not.
    assert state(con, "OB", D(2026, 2, 22))["forecast_category"] == "commit"
    assert state(con, "OB", D(2026, 2, 15))["forecast_category"] == "best_case"
    assert state(con, "OD", D(2026, 2, 22))["forecast_category"] == "best_case"
    assert state(con, "OD", D(2026, 3, 1))["forecast_category"] == "commit"


def test_earlier_amounts_use_the_opportunitys_current_conversion(handmade):
    con, _ = handmade
    # OD today: 2000 EUR = 2200 USD (amount_usdollar), so 1.1 USD per EUR.
    # Sun Feb 8: still 1000 EUR -> 1000 x 1.1 = 1100.  Sun Feb 15: 2000 EUR -> 2200.
    assert state(con, "OD", D(2026, 2, 8))["amount_reporting"] == pytest.approx(1100)
    assert state(con, "OD", D(2026, 2, 15))["amount_reporting"] == 2200


# ----------------------------------------------------------------------------- time in stage


def test_days_in_stage_with_a_regression(handmade):
    con, _ = handmade
    got = rows(
        con,
        """
        select stage, visit_number, days_in_stage, is_regression, exit_type
        from marts.fct_opportunity_stage_visits where opportunity_id = 'OA' order by visit_seq
        """,
    )
    assert got == [
        # Mon Jan 5 09:00 -> Wed Jan 7 10:00: 2 days 1 hour = 2 + 1/24
        ("Prospecting", 1, pytest.approx(2 + 1 / 24), False, "forward"),
        # Jan 7 10:00 -> Jan 14 10:00
        ("Qualification", 1, pytest.approx(7.0), False, "forward"),
        # Jan 14 10:00 -> Jan 20 10:00, then back to Qualification
        ("Needs Analysis", 1, pytest.approx(6.0), False, "regressed"),
        # Jan 20 10:00 -> Jan 27 10:00: entered from Needs Analysis (order 3 > 2)
        ("Qualification", 2, pytest.approx(7.0), True, "forward"),
        # Jan 27 10:00 -> Feb 10 10:00
        ("Needs Analysis", 2, pytest.approx(14.0), False, "won"),
        ("Closed Won", 1, None, False, None),
    ]


def test_stage_velocity_of_the_quarter(handmade):
    con, _ = handmade
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            """
            select stage, deals_entered, visits_entered, visits_completed, median_days_in_stage,
                   p90_days_in_stage, share_moved_forward, share_regressed, share_lost, share_still_in_stage
            from marts.mart_stage_velocity where fiscal_quarter = 'FY2026-Q1' and motion = 'hunting'
            """,
        )
    }
    # Qualification, hunting: OA's two visits of 7 days, both moved forward.
    assert got["Qualification"] == (1, 2, 2, pytest.approx(7.0), pytest.approx(7.0), 1.0, 0.0, 0.0, 0.0)
    # Needs Analysis, hunting: OA 6 days (regressed), OA 14 days (won), OE Jan 12 09:00 ->
    # Feb 11 10:00 = 30 + 1/24 days (lost).  Median 14; p90 (continuous) at 0.9 x 2 = 1.8:
    # 14 + 0.8 x (30 + 1/24 - 14) = 26.8333...; one third each way.
    assert got["Needs Analysis"] == (
        2, 3, 3, pytest.approx(14.0), pytest.approx(14 + 0.8 * (30 + 1 / 24 - 14)),
        pytest.approx(1 / 3), pytest.approx(1 / 3), pytest.approx(1 / 3), 0.0,
    )
    # Prospecting, hunting: OA (2 + 1/24 days, forward) and OC (lost on Mar 10).
    assert got["Prospecting"][:3] == (2, 2, 2)


# ----------------------------------------------------------------------------- movement


def movement(con, week_end: dt.date) -> dict[tuple[str, str], tuple]:
    return {
        (owner, line): (moved, count, float(amount))
        for owner, line, moved, count, amount in rows(
            con,
            "select owner_user_id, movement, opportunities_moved, opportunity_count, amount "
            "from marts.mart_pipeline_movement where week_end = ?",
            [week_end],
        )
    }


def test_close_date_moved_out_early_in_the_quarter_is_pushed_out(handmade):
    con, _ = handmade
    # Week ending Sun Feb 8 (Q1).  At Sun Feb 1, rep_a's Q1 pipeline: OA 12000, OC 8000,
    # OE 20000; rep_b's: OB 5000.  During the week: OA handed to rep_b (Tue Feb 3), OB's
    # close date moved to Apr 15 on Wed Feb 4 (February: before Q1's last third), OD
    # created (Mon Feb 2, close Mar 31, 1000 EUR = 1100).
    assert movement(con, D(2026, 2, 8)) == {
        # rep_a: 3 deals, 12000 + 8000 + 20000 = 40000; OA leaves -> 2 deals, 28000.
        ("u_rep_a", "starting"): (3, 3, 40000.0),
        ("u_rep_a", "reassigned_out"): (1, -1, -12000.0),
        ("u_rep_a", "ending"): (2, 2, 28000.0),
        # rep_b: 1 + 1 (OD) + 1 (OA) - 1 (OB) = 2; 5000 + 1100 + 12000 - 5000 = 13100.
        ("u_rep_b", "starting"): (1, 1, 5000.0),
        ("u_rep_b", "created"): (1, 1, pytest.approx(1100.0)),
        ("u_rep_b", "reassigned_in"): (1, 1, 12000.0),
        ("u_rep_b", "pushed_out"): (1, -1, -5000.0),
        ("u_rep_b", "ending"): (2, 2, pytest.approx(13100.0)),
    }


def test_close_date_moved_out_in_the_last_third_of_the_quarter_is_slipped(handmade):
    con, _ = handmade
    # Week ending Sun Mar 8: OC's close date moved from Mar 25 to May 10 on Tue Mar 3
    # (March, Q1's last third).  rep_b keeps OD (2200, close Mar 31); OB is out of Q1.
    assert movement(con, D(2026, 3, 8)) == {
        ("u_rep_a", "starting"): (1, 1, 8000.0),
        ("u_rep_a", "slipped"): (1, -1, -8000.0),
        ("u_rep_a", "ending"): (0, 0, 0.0),
        ("u_rep_b", "starting"): (1, 1, 2200.0),
        ("u_rep_b", "ending"): (1, 1, 2200.0),
    }


def test_won_lost_and_amount_changes_in_the_movement(handmade):
    con, _ = handmade
    # Week ending Sun Feb 15: OA won (Tue Feb 10, rep_b), OE lost (Wed Feb 11, rep_a), OD
    # 1000 -> 2000 EUR (1100 -> 2200: +1100).  13100 + 1100 - 12000 = 2200.
    assert movement(con, D(2026, 2, 15)) == {
        ("u_rep_a", "starting"): (2, 2, 28000.0),
        ("u_rep_a", "lost"): (1, -1, -20000.0),
        ("u_rep_a", "ending"): (1, 1, 8000.0),
        ("u_rep_b", "starting"): (2, 2, pytest.approx(13100.0)),
        ("u_rep_b", "increased"): (1, 0, pytest.approx(1100.0)),
        ("u_rep_b", "won"): (1, -1, -12000.0),
        ("u_rep_b", "ending"): (1, 1, 2200.0),
    }
    # Week ending Sun Mar 15: OC (closing May 10 at Mar 8) lost on Tue Mar 10 with a
    # close date in Q1: it comes into the quarter's pipeline and leaves it the same week.
    got = movement(con, D(2026, 3, 15))
    assert {k: v for k, v in got.items() if k[0] == "u_rep_a"} == {
        ("u_rep_a", "starting"): (0, 0, 0.0),
        ("u_rep_a", "pulled_in"): (1, 1, 8000.0),
        ("u_rep_a", "lost"): (1, -1, -8000.0),
        ("u_rep_a", "ending"): (0, 0, 0.0),
    }


# ----------------------------------------------------------------------------- four V's


def test_the_four_vs(handmade):
    con, _ = handmade
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            """
            select week_end, motion, qualified_opportunities, qualified_pipeline_amount, median_days_in_pipeline,
                   won_opportunities, lost_opportunities, win_rate_count, win_rate_value, average_won_deal_size,
                   average_sales_cycle_days, pipeline_velocity, win_rate_count_vs_benchmark, qualified_opportunities_change
            from marts.mart_pipeline_weekly where week_end in ('2026-02-08', '2026-02-15')
            """,
        )
    }
    # Sun Feb 8, open and qualified: OA 12000 and OE 20000 (hunting), OB 5000 and OD 1100
    # (farming).  Days since qualified at Mon Feb 9 00:00: OA (Jan 7 10:00) 32 + 14/24,
    # OE (Jan 12 09:00) 27 + 15/24, OB (Jan 6 09:00) 33 + 15/24, OD (Feb 2 09:00) 6 + 15/24.
    oa, oe, ob, od = 32 + 14 / 24, 27 + 15 / 24, 33 + 15 / 24, 6 + 15 / 24
    feb8 = D(2026, 2, 8)
    assert got[(feb8, "hunting")][:3] == (2, 32000, pytest.approx((oa + oe) / 2))
    assert got[(feb8, "farming")][:3] == (2, pytest.approx(6100), pytest.approx((ob + od) / 2))
    assert got[(feb8, "all")][:3] == (4, pytest.approx(38100), pytest.approx((oe + oa) / 2))
    # No qualified deal has closed by then.
    assert got[(feb8, "all")][3:6] == (0, 0, None)

    # Sun Feb 15: OA won (12000, SQL Jan 7 10:00 -> won Feb 10 10:00 = 34 days), OE lost
    # (20000); both qualified.  Win rate 1/2 by count, 12000 / 32000 = 0.375 by value.
    # Open qualified: OB and OD (farming).  Velocity, all motions: 2 x 12000 x 0.5 / 34.
    feb15 = D(2026, 2, 15)
    assert got[(feb15, "all")] == (
        2, pytest.approx(7200), pytest.approx((ob + 7 + od + 7) / 2), 1, 1, 0.5, 0.375, 12000, pytest.approx(34.0),
        pytest.approx(2 * 12000 * 0.5 / 34), None, 2 - 4,
    )
    # Hunting: no open qualified deal left, so velocity 0; 0.5 is above 0.30 +/- 0.05.
    assert got[(feb15, "hunting")][5:] == (0.5, 0.375, 12000, pytest.approx(34.0), 0.0, "above", 0 - 2)
    # Farming: nothing closed in the window: no win rate, no velocity.
    assert got[(feb15, "farming")][3:] == (0, 0, None, None, None, None, None, None, 2 - 2)


def test_hand_made_history_passes_the_pipeline_data_tests(handmade):
    _, output = handmade
    assert warned(output, "assert_latest_week_matches_current_opportunities") is None
    assert "assert_pipeline_movement_reconciles" in output
    assert "assert_fct_pipeline_weekly_matches_weekly_state" in output


# ----------------------------------------------------------------------------- generated data

FIRST_DROPS = 8  # of the small data set's 13: the rest arrive as later weekly runs


def fct_rows(con) -> list[tuple]:
    return rows(con, "select * from marts.fct_pipeline_weekly order by opportunity_id, week_end")


@pytest.fixture(scope="module")
def generated(request, tmp_path_factory) -> Iterator[dict]:
    """The small generated data set: the first drops built, the rest loaded and built
    incrementally, then a full refresh of the same warehouse."""
    source: Path = request.getfixturevalue("small_landing")
    work = tmp_path_factory.mktemp("pipeline_generated")
    landing, db = work / "landing", work / "build.duckdb"
    drops = find_drops(source)
    assert len(drops) > FIRST_DROPS
    for drop in drops[:FIRST_DROPS]:
        shutil.copytree(source / drop, landing / drop)
    load_landing(landing, db)
    dbt_build(db, work, select=BUILD_SELECTION)
    with duckdb.connect(str(db), read_only=True) as con:
        first_rows = fct_rows(con)

    for drop in drops[FIRST_DROPS:]:
        shutil.copytree(source / drop, landing / drop)
    load_landing(landing, db)
    dbt_build(db, work, select=BUILD_SELECTION)
    with duckdb.connect(str(db), read_only=True) as con:
        after_incremental = fct_rows(con)

    with mock.patch.dict(os.environ, {"DBT_FULL_REFRESH": "true"}):
        dbt_build(db, work, select=BUILD_SELECTION)
    con = duckdb.connect(str(db), read_only=True)
    yield {
        "con": con,
        "first_rows": first_rows,
        "after_incremental": after_incremental,
        "dbt_log": (work / "logs" / "dbt.log").read_text(encoding="utf-8"),
    }
    con.close()


def test_incremental_build_equals_a_full_refresh(generated):
    con = generated["con"]
    full = fct_rows(con)
    assert len(full) > 0
    assert generated["after_incremental"] == full
    # The second run took the incremental path (delete+insert of the rows it selected)...
    assert 'delete from "build"."marts"."fct_pipeline_weekly" as DBT_INCREMENTAL_TARGET' in generated["dbt_log"]
    # ...added the weeks of the later drops (13 drops, a week apart)...
    first_weeks = {r[0] for r in generated["first_rows"]}
    all_weeks = {r[0] for r in full}
    assert first_weeks < all_weeks
    assert max(all_weeks) - max(first_weeks) == dt.timedelta(weeks=13 - FIRST_DROPS)
    # ...and wrote only new or corrected rows: most of the past is as the first run wrote it.
    written = set(full) - set(generated["first_rows"])
    kept = set(full) & set(generated["first_rows"])
    assert {r[0] for r in written} >= all_weeks - first_weeks
    assert len(kept) > len(written)


def test_movement_reconciles_for_every_week_and_owner(generated):
    con = generated["con"]
    # Restated here from the definition, independently of the singular dbt test.
    unbalanced = rows(
        con,
        """
        select week_end, owner_user_id,
               sum(case when movement = 'starting' then opportunity_count end) as starting_count,
               sum(case when movement not in ('starting', 'ending') then opportunity_count else 0 end) as changes,
               sum(case when movement = 'ending' then opportunity_count end) as ending_count,
               sum(case when movement = 'starting' then amount end) as starting_amount,
               sum(case when movement not in ('starting', 'ending') then amount else 0 end) as amount_changes,
               sum(case when movement = 'ending' then amount end) as ending_amount
        from marts.mart_pipeline_movement
        group by week_end, owner_user_id
        having starting_count is null or ending_count is null
            or starting_count + changes <> ending_count
            or abs(starting_amount + amount_changes - ending_amount) > 0.01
        """,
    )
    assert unbalanced == []
    # And the levels are the pipeline itself: ending = the open deals of fct_pipeline_weekly
    # closing in the week end's quarter, for every week end and owner.
    assert rows(
        con,
        """
        with pipeline as (
            select week_end, owner_user_id, count(*) as deals, sum(coalesce(amount_reporting, 0)) as amount
            from marts.fct_pipeline_weekly
            where is_open
                and close_date >= date_trunc('quarter', week_end)
                and close_date < date_trunc('quarter', week_end) + interval 3 month
            group by week_end, owner_user_id
        ),
        ending as (
            select week_end, owner_user_id, opportunity_count as deals, amount
            from marts.mart_pipeline_movement where movement = 'ending' and opportunity_count > 0
        )
        select count(*) from pipeline full outer join ending using (week_end, owner_user_id)
        where pipeline.deals is distinct from ending.deals or abs(pipeline.amount - ending.amount) > 0.01
        """,
    ) == [(0,)]
    weeks_owners = rows(con, "select count(distinct week_end), count(distinct owner_user_id) from marts.mart_pipeline_movement")
    assert weeks_owners[0][0] > 40 and weeks_owners[0][1] > 5


def test_every_open_opportunity_is_in_the_latest_week_as_it_is_now(generated):
    con = generated["con"]
    open_now = rows(
        con,
        """
        select o.opportunity_id, o.sales_stage, o.amount_reporting
        from intermediate.int_opportunities o
        join vocabulary.stage_map m on m.crm_stage = o.sales_stage
        where not m.is_closed
        order by 1
        """,
    )
    latest = rows(
        con,
        """
        select opportunity_id, stage, amount_reporting
        from marts.fct_pipeline_weekly
        where week_end = (select max(week_end) from marts.fct_pipeline_weekly) and is_open
        order by 1
        """,
    )
    assert len(open_now) > 10
    assert [(o, s) for o, s, _ in latest] == [(o, s) for o, s, _ in open_now]
    for (opp, _, amount_then), (_, _, amount_now) in zip(latest, open_now):
        assert float(amount_then) == pytest.approx(float(amount_now), abs=0.01), opp
