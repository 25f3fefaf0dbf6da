"""mart_pipeline_weekly (issue 4): the four V's per week and motion.

Built once per session from the hand-made history of five opportunities (tests/drops/pipeline.py;
fiscal 2026-Q1 with the fiscal year starting in January, weeks ending on Sunday: Sundays Jan 11,
18, 25, Feb 1, 8, 15, 22, Mar 1, 8, 15; the quarter's last third is March).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse import rows


D, T = dt.date, dt.datetime


# ----------------------------------------------------------------------------- four V's


def test_the_four_vs(pipeline_handmade):
    con, _ = pipeline_handmade
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
    # Open qualified: OB and OD (farming).  Velocity, all motions: 2 x 12000 x 0.5 / 34,
    # to the cent (352.94).
    feb15 = D(2026, 2, 15)
    assert got[(feb15, "all")] == (
        2, pytest.approx(7200), pytest.approx((ob + 7 + od + 7) / 2), 1, 1, 0.5, 0.375, 12000, pytest.approx(34.0),
        pytest.approx(352.94), None, 2 - 4,
    )
    # Hunting: no open qualified deal left, so velocity 0; 0.5 is above 0.30 +/- 0.05.
    assert got[(feb15, "hunting")][5:] == (0.5, 0.375, 12000, pytest.approx(34.0), 0.0, "above", 0 - 2)
    # Farming: nothing closed in the window: no win rate, no velocity.
    assert got[(feb15, "farming")][3:] == (0, 0, None, None, None, None, None, None, 2 - 2)
