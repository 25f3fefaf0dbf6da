"""Time in stage (issue 4): fct_opportunity_stage_visits' days in stage, and mart_stage_velocity.

Built once per session from the hand-made history of five opportunities (tests/drops/pipeline.py;
fiscal 2026-Q1 with the fiscal year starting in January, weeks ending on Sunday: Sundays Jan 11,
18, 25, Feb 1, 8, 15, 22, Mar 1, 8, 15; the quarter's last third is March).
"""

from __future__ import annotations

import pytest

from tests.warehouse import rows


# ----------------------------------------------------------------------------- time in stage


def test_days_in_stage_with_a_regression(pipeline_handmade):
    con, _ = pipeline_handmade
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


def test_stage_velocity_of_the_quarter(pipeline_handmade):
    con, _ = pipeline_handmade
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
