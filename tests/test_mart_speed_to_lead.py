"""mart_speed_to_lead (issue 3): hours from MQL to the first touch, per week and SDR.

Built once per session from the hand-made funnel drop set (tests/drops/funnel.py: each expected
figure carries its arithmetic), with fiscal_year_start_month = 2 and cohort_maturity_days = 60.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.drops.funnel import AS_OF
from tests.warehouse import rows


D = dt.date


# ----------------------------------------------------------------------------- speed to lead


def test_speed_to_lead(funnel_handmade):
    con, _ = funnel_handmade
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            con,
            "select week_start, sdr_user_id, mqls, touched, never_touched, touched_within_1h, touched_within_24h, "
            "median_hours_to_first_touch, p90_hours_to_first_touch from marts.mart_speed_to_lead",
        )
    }
    w1, w2, w3, w5 = D(2026, 1, 5), D(2026, 1, 12), D(2026, 1, 19), D(2026, 2, 2)
    # Week of 01-05: L1 0.5 h, L2 12 h (the Not Held call does not count), L3 24 h (a meeting), L4 never.
    # Median of (0.5, 12, 24) = 12; p90 at position 0.9 x 2 = 1.8: 12 + 0.8 x (24 - 12) = 21.6.
    assert got[(w1, "all")] == (4, 3, 1, 1, 3, 12.0, pytest.approx(21.6))
    # SDR 1: L1, L2: median (0.5 + 12) / 2 = 6.25; p90 at 0.9: 0.5 + 0.9 x 11.5 = 10.85.
    assert got[(w1, "u_sdr1")] == (2, 2, 0, 1, 2, 6.25, pytest.approx(10.85))
    # SDR 2: L3 at 24 h exactly (within 24 h), L4 never (a planned meeting is not a touch).
    assert got[(w1, "u_sdr2")] == (2, 1, 1, 0, 1, 24.0, 24.0)
    assert got[(w2, "(unassigned)")] == got[(w2, "all")] == (1, 0, 1, 0, 0, None, None)  # L5
    assert got[(w3, "all")] == (0, 0, 0, 0, 0, None, None)  # no MQL that week: still a row
    # L6: the call before its MQL does not count, the one 45 minutes after does.
    assert got[(w5, "u_sdr1")] == (1, 1, 0, 1, 1, 0.75, 0.75)
    # `all` rows for the 16 weeks from 01-05 to the week of the as-of date (04-20), plus the
    # five SDR rows above (week 1: two SDRs, week 2: unassigned, week 5: two SDRs).
    assert len(got) == 16 + 5
    assert max(week for week, _ in got) == AS_OF
