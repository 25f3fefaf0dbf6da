"""mart_funnel_conversion (issue 3): both conversion methods, per grain, motion and lead
source, against the benchmarks.

Built once per session from the hand-made funnel drop set (tests/drops/funnel.py: each expected
figure carries its arithmetic), with fiscal_year_start_month = 2 and cohort_maturity_days = 60.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.drops.funnel import AS_OF
from tests.warehouse import rows


D = dt.date


def conversion(con, grain: str, period_start: dt.date, method: str, motion: str, lead_source: str = "all") -> dict:
    found = con.execute(
        "select * from marts.mart_funnel_conversion "
        "where period_grain = ? and period_start = ? and method = ? and motion = ? and lead_source = ?",
        [grain, period_start, method, motion, lead_source],
    )
    columns = [c[0] for c in found.description]
    got = found.fetchall()
    assert len(got) == 1, (grain, period_start, method, motion, lead_source, got)
    return dict(zip(columns, got[0]))


def pick(row: dict, *columns: str) -> tuple:
    return tuple(row[c] for c in columns)


COUNTS = ("entries", "mqls", "srls", "srls_from_mqls", "sqls", "won", "lost", "lost_unqualified",
          "won_amount", "lost_amount")
RATES = ("mql_to_srl_rate", "srl_to_sql_rate", "win_rate_count", "win_rate_value")
FLAGS = ("mql_to_srl_vs_benchmark", "srl_to_sql_vs_benchmark", "win_rate_count_vs_benchmark",
         "win_rate_value_vs_benchmark")
JAN, FEB, MAR, APR = D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)


# ----------------------------------------------------------------------------- conversion, cohort method


def test_cohort_january_all_motions(funnel_handmade):
    con, _ = funnel_handmade
    row = conversion(con, "month", JAN, "cohort", "all")
    # Entered in January: L1, L2, L3, L4, L5 (MQLs) and O6 (farming, at SRL).
    # SRL: L1, L2, L3, L5 (from MQLs) + O6.  SQL: L1, L2 (skipped), L3 (regressed), O6.
    # Won: L1 (1000) + O6 (4000).  Lost after SQL: L2 (2000).  Lost before SQL: L5.
    assert pick(row, *COUNTS) == (6, 5, 5, 4, 4, 2, 1, 1, 5000, 2000)
    assert pick(row, *RATES) == (
        4 / 5,  # MQL -> SRL: 4 of the 5 MQLs
        4 / 5,  # SRL -> SQL
        pytest.approx(2 / 3),  # won / (won + lost) = 2 / 3; L3 (open) and L5 (unqualified) are out
        pytest.approx(5000 / 7000),
    )
    # 0.8 is above 20-40%; 0.8 is the bottom of 80-90%: within.  `all` has no win-rate benchmark.
    assert pick(row, *FLAGS) == ("above", "within", None, None)
    assert pick(row, "win_rate_benchmark", "win_rate_benchmark_low", "win_rate_benchmark_high") == (None, None, None)
    # January ends 01-31; 2026-04-20 is 28 + 31 + 20 = 79 days later, mature with a 60-day window.
    assert pick(row, "period_end", "period_label", "cohort_age_days", "is_mature", "is_period_complete",
                "as_of_date") == (D(2026, 1, 31), "2026-01", 79, True, True, AS_OF)


def test_cohort_january_per_motion_against_its_benchmark(funnel_handmade):
    con, _ = funnel_handmade
    hunting = conversion(con, "month", JAN, "cohort", "hunting")
    # L1-L5: SRL L1, L2, L3, L5; SQL L1, L2, L3; won L1 (1000); lost L2 (2000); L5 lost unqualified.
    assert pick(hunting, *COUNTS) == (5, 5, 4, 4, 3, 1, 1, 1, 1000, 2000)
    assert pick(hunting, *RATES) == (4 / 5, 3 / 4, 1 / 2, pytest.approx(1000 / 3000))
    # 0.8 > 40%; 0.75 < 80%; 0.5 > 30% + 5 points; 0.333 is inside 25%-35%.
    assert pick(hunting, *FLAGS) == ("above", "below", "above", "within")
    # The band: 30% -/+ 5 points, in exact decimals so that a rate on the bound is within.
    assert pick(hunting, "win_rate_benchmark_low", "win_rate_benchmark_high") == (Decimal("0.25"), Decimal("0.35"))

    farming = conversion(con, "month", JAN, "cohort", "farming")
    # O6 alone: no MQL, so no MQL -> SRL rate (zero denominator) and no flag.
    assert pick(farming, *COUNTS) == (1, 0, 1, 0, 1, 1, 0, 0, 4000, 0)
    assert pick(farming, *RATES) == (None, 1.0, 1.0, 1.0)
    assert pick(farming, *FLAGS) == (None, "above", "above", "above")  # 100% > 75% + 5 points
    # Farming's MQL -> SRL rate is near 100% by construction: no band to compare it with.
    assert pick(farming, "mql_to_srl_benchmark_low", "mql_to_srl_benchmark_high") == (None, None)
    assert farming["win_rate_benchmark"] == Decimal("0.75")


def test_cohort_per_lead_source_and_a_win_rate_with_no_closed_deal(funnel_handmade):
    con, _ = funnel_handmade
    # Trade Show: L3 (open SQL) and L4 (never converted): nothing closed, so no win rate.
    trade_show = conversion(con, "month", JAN, "cohort", "hunting", "Trade Show")
    assert pick(trade_show, *COUNTS) == (2, 2, 1, 1, 1, 0, 0, 0, 0, 0)
    assert pick(trade_show, *RATES) == (1 / 2, 1.0, None, None)
    assert pick(trade_show, *FLAGS) == ("above", "above", None, None)
    # L5 had no source.
    not_set = conversion(con, "month", JAN, "cohort", "all", "(not set)")
    # L5 (SRL, lost unqualified) and O6 (farming, won 4000).
    assert pick(not_set, *COUNTS) == (2, 1, 2, 1, 1, 1, 0, 1, 4000, 0)
    web = conversion(con, "month", JAN, "cohort", "all", "Web Site")
    assert pick(web, *COUNTS) == (2, 2, 2, 2, 2, 1, 1, 0, 1000, 2000)


def test_cohort_february_is_immature_and_a_lost_only_cohort_has_a_zero_win_rate(funnel_handmade):
    con, _ = funnel_handmade
    row = conversion(con, "month", FEB, "cohort", "all")
    # L6 (dead), L7 (-> O8, open) and O7 (lost after SQL, 6000).
    assert pick(row, *COUNTS) == (3, 2, 2, 1, 1, 0, 1, 0, 0, 6000)
    assert pick(row, *RATES) == (1 / 2, 1 / 2, 0.0, 0.0)  # 0 of 1 closed: zero, not null
    # 02-28 -> 04-20: 31 + 20 = 51 days < 60.
    assert pick(row, "cohort_age_days", "is_mature") == (51, False)
    hunting = conversion(con, "month", FEB, "cohort", "hunting")
    # L6 only: an MQL that went nowhere; SRL -> SQL has no denominator.
    assert pick(hunting, *COUNTS) == (1, 1, 0, 0, 0, 0, 0, 0, 0, 0)
    assert pick(hunting, *RATES) == (0.0, None, None, None)
    # 0% is under the 20% band, but the cohort is still converting: it says so, not "below".
    assert pick(hunting, *FLAGS) == ("immature", None, None, None)
    farming = conversion(con, "month", FEB, "cohort", "farming")
    # L7 (MQL -> SRL) and O7: 1 of 1 MQL converted, 1 of 2 SRLs qualified, 0 of 1 closed won.
    assert pick(farming, *RATES) == (1.0, 0.5, 0.0, 0.0)
    # The MQL -> SRL rate of a farming row has no band (L7 converted by construction).
    assert pick(farming, *FLAGS) == (None, "immature", "immature", "immature")


def test_a_period_where_nothing_happened_is_a_row_of_zeros(funnel_handmade):
    con, _ = funnel_handmade
    march = conversion(con, "month", MAR, "cohort", "all")
    assert pick(march, *COUNTS) == (0,) * 10
    assert pick(march, *RATES) == (None,) * 4
    assert pick(march, *FLAGS) == (None,) * 4
    assert pick(march, "cohort_age_days", "is_mature") == (20, False)  # 03-31 -> 04-20
    april = conversion(con, "month", APR, "cohort", "farming")
    # O9, still in April when the data ends: the period is not complete, the age is 0.
    assert pick(april, "entries", "won", "lost", "won_amount") == (1, 1, 0, 800)
    assert pick(april, "cohort_age_days", "is_mature", "is_period_complete") == (0, False, False)
    # Months January-April x 2 methods x 12 slices: hunting (Web Site, Trade Show, (not set), all),
    # farming (Existing Customer, (not set), all), all (those four sources, all).
    assert rows(con, "select count(*) from marts.mart_funnel_conversion where period_grain = 'month'") == [
        (4 * 2 * 12,)]


def test_cohort_week(funnel_handmade):
    con, _ = funnel_handmade
    # Weeks end on Sunday: 2026-01-05 (Monday) .. 01-11 holds the MQLs of L1, L2, L3, L4.
    row = conversion(con, "week", D(2026, 1, 5), "cohort", "hunting")
    assert pick(row, *COUNTS) == (4, 4, 3, 3, 3, 1, 1, 0, 1000, 2000)
    assert pick(row, "period_end", "period_label") == (D(2026, 1, 11), "2026-01-11")


# ----------------------------------------------------------------------------- conversion, period method


def test_period_january(funnel_handmade):
    con, _ = funnel_handmade
    row = conversion(con, "month", JAN, "period", "all")
    # MQLs in January: L1-L5 (L4's re-MQL in February is not a new MQL).
    # SRLs created: O1, O2, O3, O6, O5 (4 from MQLs).  SQLs reached: O1, O2, O3, O6.
    # Won: O1 (1000; O6 is won in February).  Lost: O2 after SQL (2000), O5 before SQL.
    assert pick(row, *COUNTS) == (6, 5, 5, 4, 4, 1, 1, 1, 1000, 2000)
    assert pick(row, *RATES) == (4 / 5, 4 / 5, 1 / 2, pytest.approx(1000 / 3000))


def test_period_february_per_motion(funnel_handmade):
    con, _ = funnel_handmade
    row = conversion(con, "month", FEB, "period", "all")
    # MQLs: L6, L7.  SRLs: O8 (from L7), O7.  SQL: O7.  Won: O6 (4000).  Lost: O7 (6000).
    assert pick(row, *COUNTS) == (3, 2, 2, 1, 1, 1, 1, 0, 4000, 6000)
    assert pick(row, *RATES) == (1 / 2, 1 / 2, 1 / 2, 4000 / 10000)
    hunting = conversion(con, "month", FEB, "period", "hunting")
    assert pick(hunting, *RATES) == (0.0, None, None, None)  # L6: no SRL, nothing closed
    farming = conversion(con, "month", FEB, "period", "farming")
    assert pick(farming, *RATES) == (1.0, 1 / 2, 1 / 2, 4000 / 10000)
    # Period rows are not cohorts: compared as they are, immature or not; farming's
    # MQL -> SRL still has no band.
    assert pick(farming, *FLAGS) == (None, "below", "below", "below")


def test_period_april_counts_the_reopened_deal_only_as_won(funnel_handmade):
    con, _ = funnel_handmade
    row = conversion(con, "month", APR, "period", "farming")
    assert pick(row, "srls", "sqls", "won", "lost", "won_amount", "win_rate_count") == (1, 1, 1, 0, 800, 1.0)


def test_fiscal_quarters_follow_the_fiscal_year_start(funnel_handmade):
    con, _ = funnel_handmade
    # fiscal_year_start_month = 2: January 2026 is FY2025-Q4 (Nov-Jan), February-April FY2026-Q1.
    q4 = conversion(con, "fiscal_quarter", D(2025, 11, 1), "period", "all")
    assert pick(q4, "period_end", "period_label") == (D(2026, 1, 31), "FY2025-Q4")
    assert pick(q4, *COUNTS) == pick(conversion(con, "month", JAN, "period", "all"), *COUNTS)
    q1 = conversion(con, "fiscal_quarter", D(2026, 2, 1), "period", "all")
    assert q1["period_label"] == "FY2026-Q1"
    # February + April: entries L6, L7, O7, O9; MQLs L6, L7; SRLs O8, O7, O9; SQLs O7, O9;
    # won O6 (4000) + O9 (800); lost O7 (6000).
    assert pick(q1, *COUNTS) == (4, 2, 3, 1, 2, 2, 1, 0, 4800, 6000)
