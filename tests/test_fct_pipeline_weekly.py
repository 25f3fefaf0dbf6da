"""fct_pipeline_weekly (issue 4): each opportunity's as-of state at every week end.

Built once per session from the hand-made history of five opportunities (tests/drops/pipeline.py;
fiscal 2026-Q1 with the fiscal year starting in January, weeks ending on Sunday: Sundays Jan 11,
18, 25, Feb 1, 8, 15, 22, Mar 1, 8, 15; the quarter's last third is March).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse import rows


D, T = dt.date, dt.datetime


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


def test_the_spine_has_open_weeks_and_the_closing_week_only(pipeline_handmade):
    con, _ = pipeline_handmade
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


def test_as_of_state_at_three_week_ends(pipeline_handmade):
    con, _ = pipeline_handmade
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


def test_a_change_counts_until_the_end_of_the_week_end_day(pipeline_handmade):
    con, _ = pipeline_handmade
    # OB's commit at Sun Feb 22 23:30 is in that week; OD's at Mon Feb 23 00:00 is not.
    assert state(con, "OB", D(2026, 2, 22))["forecast_category"] == "commit"
    assert state(con, "OB", D(2026, 2, 15))["forecast_category"] == "best_case"
    assert state(con, "OD", D(2026, 2, 22))["forecast_category"] == "best_case"
    assert state(con, "OD", D(2026, 3, 1))["forecast_category"] == "commit"


def test_earlier_amounts_use_the_opportunitys_current_conversion(pipeline_handmade):
    con, _ = pipeline_handmade
    # OD today: 2000 EUR = 2200 USD (amount_usdollar), so 1.1 USD per EUR.
    # Sun Feb 8: still 1000 EUR -> 1000 x 1.1 = 1100.  Sun Feb 15: 2000 EUR -> 2200.
    assert state(con, "OD", D(2026, 2, 8))["amount_reporting"] == pytest.approx(1100)
    assert state(con, "OD", D(2026, 2, 15))["amount_reporting"] == 2200
