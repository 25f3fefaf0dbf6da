"""mart_motion_summary (issue 3): hunting and farming per fiscal quarter.

Built once per session from the hand-made funnel drop set (tests/drops/funnel.py: each expected
figure carries its arithmetic), with fiscal_year_start_month = 2 and cohort_maturity_days = 60.
"""

from __future__ import annotations

import pytest

from tests.warehouse import rows


# ----------------------------------------------------------------------------- motion summary


def test_motion_summary(funnel_handmade):
    con, _ = funnel_handmade
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select fiscal_quarter, motion, entries, srls, sqls, won, lost, bookings, average_won_deal_size, "
            "median_sales_cycle_days, win_rate_count, win_rate_value, win_rate_count_vs_benchmark, "
            "win_rate_value_vs_benchmark, is_period_complete from marts.mart_motion_summary",
        )
    }
    assert set(got) == {(q, m) for q in ("FY2025-Q4", "FY2026-Q1") for m in ("hunting", "farming", "all")}
    # FY2025-Q4 hunting: L1-L5 entered; SRL O1, O2, O3, O5; SQL O1, O2, O3; won O1 (1000, 13 days
    # from 01-07 to 01-20); lost O2.  1/2 = 50% is above 25-35%; 1000/3000 is within.
    assert got[("FY2025-Q4", "hunting")] == (5, 4, 3, 1, 1, 1000, 1000, 13.0, 0.5, pytest.approx(1 / 3),
                                            "above", "within", True)
    # FY2026-Q1 farming: entries L7, O7, O9; SRL O8, O7, O9; SQL O7, O9; won O6 (4000, 24 days from
    # 01-12 to 02-05) and O9 (800, 14 days); lost O7 (6000).  Average 4800 / 2 = 2400; median
    # (14 + 24) / 2 = 19; 2/3 and 4800/10800 are below 70-80%.  The quarter runs past the data.
    assert got[("FY2026-Q1", "farming")] == (3, 3, 2, 2, 1, 4800, 2400, 19.0, pytest.approx(2 / 3),
                                            pytest.approx(4800 / 10800), "below", "below", False)
    # FY2026-Q1 hunting: L6 alone; nothing closed: no win rate, no deal size, no cycle.
    assert got[("FY2026-Q1", "hunting")] == (1, 0, 0, 0, 0, 0, None, None, None, None, None, None, False)
    # FY2025-Q4 all: won only O1 (O6 closed in February); the mix has no benchmark.
    assert got[("FY2025-Q4", "all")][3:] == (1, 1, 1000, 1000, 13.0, 0.5, pytest.approx(1 / 3), None, None, True)
