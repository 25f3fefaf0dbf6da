"""Issue 13's history details (items 5 to 8) on the hand-made drop set tests/drops/forecast_history.py,
built once by the real loader and dbt; every expected figure carries its arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.drops import forecast_history
from tests.warehouse import built_warehouse_fixture, rows, warned

T = dt.datetime
D = dt.date

history_handmade = built_warehouse_fixture(
    "history_handmade", forecast_history.HANDMADE, select=forecast_history.BUILD_SELECTION)


# ----------------------------------------------------------------------------- item 8a: the close that stands


def test_a_deal_lost_reopened_qualified_and_lost_again_is_lost_at_its_last_loss(history_handmade):
    con, output = history_handmade
    got = rows(con, """
        select entry_id, sql_at, won_at, lost_at, closed_at, days_sql_to_close
        from marts.fct_funnel where entry_id in ('opportunity:H1', 'opportunity:H2') order by 1""")
    assert got == [
        # H1: SQL on Jan 26 10:00, lost again on Feb 4 10:00 (its loss of Jan 12 did not stand):
        # Jan 26 -> Feb 4 = 9 days.
        ("opportunity:H1", T(2026, 1, 26, 10), None, T(2026, 2, 4, 10), T(2026, 2, 4, 10), 9.0),
        # H2: created qualified Jan 5 09:00; won Jan 14, reopened, lost Feb 3 10:00: lost, not won,
        # at Feb 3: 29 days and 1 hour = 29 + 1/24 days.
        ("opportunity:H2", T(2026, 1, 5, 9), None, T(2026, 2, 3, 10), T(2026, 2, 3, 10), 29 + 1 / 24),
    ]
    # No duration of any entry is negative, and the order check blames nothing on the export.
    assert rows(con, """
        select count(*) from marts.fct_funnel
        where days_sql_to_close < 0 or sales_cycle_days < 0 or closed_at < sql_at""") == [(0,)]
    assert warned(output, "assert_funnel_milestones_in_order") is None
