"""fct_funnel (issue 3), one row per funnel entry, on a real DuckDB file built by the real dbt.

Built once per session from the hand-made funnel drop set (tests/drops/funnel.py: each expected
figure carries its arithmetic), with fiscal_year_start_month = 2 and cohort_maturity_days = 60.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse import rows, warned


D = dt.date
T = dt.datetime


# ----------------------------------------------------------------------------- fct_funnel


def test_every_lead_and_every_deal_without_a_lead_is_one_entry(funnel_handmade):
    con, output = funnel_handmade
    got = rows(con, "select entry_id, motion, entry_milestone, furthest_milestone from marts.fct_funnel order by 1")
    assert got == [
        ("lead:L1", "hunting", "mql", "won"),
        ("lead:L2", "hunting", "mql", "lost"),
        ("lead:L3", "hunting", "mql", "sql"),  # open, back in Prospecting
        ("lead:L4", "hunting", "mql", "mql"),
        ("lead:L5", "hunting", "mql", "lost"),  # lost before SQL
        ("lead:L6", "hunting", "mql", "mql"),
        ("lead:L7", "farming", "mql", "srl"),  # its deal is Existing Business
        ("opportunity:O6", "farming", "srl", "won"),
        ("opportunity:O7", "farming", "srl", "lost"),
        ("opportunity:O9", "farming", "srl", "won"),
    ]
    # The exports agree about time: the warn test on milestone order has nothing to say.
    assert warned(output, "assert_funnel_milestones_in_order") is None


def test_a_skipped_stage_still_counts_as_passed(funnel_handmade):
    con, _ = funnel_handmade
    # O2 went Prospecting -> Needs Analysis: SQL when it got there.
    assert rows(
        con,
        "select mql_at, srl_at, sql_at, won_at, lost_at, is_qualified_closed, days_mql_to_srl, days_srl_to_sql, "
        "days_sql_to_close, sales_cycle_days, amount_reporting from marts.fct_funnel where lead_id = 'L2'",
    ) == [(
        T(2026, 1, 6, 9), T(2026, 1, 8, 9), T(2026, 1, 12, 9), None, T(2026, 1, 25, 9), True,
        2.0,  # 01-06 09:00 -> 01-08 09:00
        4.0,  # 01-08 -> 01-12
        13.0,  # 01-12 -> 01-25
        17.0,  # 01-08 -> 01-25
        2000,
    )]


def test_a_regression_keeps_the_first_sql_time(funnel_handmade):
    con, _ = funnel_handmade
    # O3: Prospecting -> Qualification (01-13) -> Prospecting (01-15): an open SQL.
    assert rows(
        con,
        "select sql_at, won_at, lost_at, closed_at, stage_regressions, sales_stage, days_sql_to_close "
        "from marts.fct_funnel where lead_id = 'L3'",
    ) == [(T(2026, 1, 13, 9), None, None, None, 1, "Prospecting", None)]


def test_a_recycled_lead_is_one_entry_with_its_first_mql_time(funnel_handmade):
    con, _ = funnel_handmade
    assert rows(
        con,
        "select mql_at, re_mql_count, entered_at, lead_status, first_touch_at from marts.fct_funnel "
        "where lead_id = 'L4'",
    ) == [(T(2026, 1, 8, 9), 1, T(2026, 1, 8, 9), "New", None)]


def test_a_won_deal_times_and_durations(funnel_handmade):
    con, _ = funnel_handmade
    got = rows(
        con,
        "select srl_at, sql_at, won_at, hours_to_first_touch, days_mql_to_srl, days_srl_to_sql, "
        "days_sql_to_close, sales_cycle_days from marts.fct_funnel where lead_id = 'L1'",
    )
    assert got == [(
        T(2026, 1, 7, 10), T(2026, 1, 9, 10), T(2026, 1, 20, 10),
        0.5,  # MQL 09:00, held call 09:30
        pytest.approx(2 + 1 / 24),  # 01-05 09:00 -> 01-07 10:00
        2.0, 11.0, 13.0,
    )]


def test_a_lead_without_mql_event_is_an_mql_from_its_creation(funnel_handmade):
    con, _ = funnel_handmade
    assert rows(
        con,
        "select mql_at, lead_source, sdr_user_id, sql_at, lost_at, is_qualified_closed, days_sql_to_close "
        "from marts.fct_funnel where lead_id = 'L5'",
    ) == [(T(2026, 1, 14, 12), None, None, None, T(2026, 1, 30, 12), False, None)]


def test_farming_deals_enter_at_srl_and_a_reopened_deal_is_won_not_lost(funnel_handmade):
    con, _ = funnel_handmade
    assert rows(
        con,
        "select opportunity_id, lead_id, mql_at, entered_at, srl_at, sql_at, won_at, lost_at, days_mql_to_srl "
        "from marts.fct_funnel where entry_milestone = 'srl' order by 1",
    ) == [
        # Created at Qualification: SRL and SQL at once.
        ("O6", None, None, T(2026, 1, 12, 10), T(2026, 1, 12, 10), T(2026, 1, 12, 10), T(2026, 2, 5, 10), None, None),
        ("O7", None, None, T(2026, 2, 9, 10), T(2026, 2, 9, 10), T(2026, 2, 12, 10), None, T(2026, 2, 20, 10), None),
        # Lost 04-10, reopened 04-15, won 04-20: won, and its lost visit is not a loss.
        ("O9", None, None, T(2026, 4, 6, 10), T(2026, 4, 6, 10), T(2026, 4, 8, 10), T(2026, 4, 20, 10), None, None),
    ]
