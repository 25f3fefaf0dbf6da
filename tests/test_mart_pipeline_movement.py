"""mart_pipeline_movement (issue 4): what moved the pipeline each week, pushed and slipped
close dates included.

Built once per session from the hand-made history of five opportunities (tests/drops/pipeline.py;
fiscal 2026-Q1 with the fiscal year starting in January, weeks ending on Sunday: Sundays Jan 11,
18, 25, Feb 1, 8, 15, 22, Mar 1, 8, 15; the quarter's last third is March).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse import rows


D, T = dt.date, dt.datetime


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


def test_close_date_moved_out_early_in_the_quarter_is_pushed_out(pipeline_handmade):
    con, _ = pipeline_handmade
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


def test_close_date_moved_out_in_the_last_third_of_the_quarter_is_slipped(pipeline_handmade):
    con, _ = pipeline_handmade
    # Week ending Sun Mar 8: OC's close date moved from Mar 25 to May 10 on Tue Mar 3
    # (March, Q1's last third).  rep_b keeps OD (2200, close Mar 31); OB is out of Q1.
    assert movement(con, D(2026, 3, 8)) == {
        ("u_rep_a", "starting"): (1, 1, 8000.0),
        ("u_rep_a", "slipped"): (1, -1, -8000.0),
        ("u_rep_a", "ending"): (0, 0, 0.0),
        ("u_rep_b", "starting"): (1, 1, 2200.0),
        ("u_rep_b", "ending"): (1, 1, 2200.0),
    }


def test_won_lost_and_amount_changes_in_the_movement(pipeline_handmade):
    con, _ = pipeline_handmade
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
