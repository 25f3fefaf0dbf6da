"""Exact period ends (issue 13, item 6): the pipeline at each month's and fiscal quarter's last day,
on the hand-made history drop set (tests/drops/forecast_history.py), answers worked out by hand.

Calendar (2026, January fiscal year, weeks end on Sunday): Q1 = Jan 1 .. Tue Mar 31; the week end
after it is Sun Apr 5.  P1 is created on Wed Apr 1, the day after Q1 ended.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.drops import forecast_history
from tests.warehouse import built_warehouse_fixture, rows

D = dt.date

history_handmade = built_warehouse_fixture(
    "history_handmade", forecast_history.HANDMADE, select=forecast_history.BUILD_SELECTION)


def test_a_deal_created_after_the_quarter_end_is_in_the_week_but_not_the_quarter_end(history_handmade):
    con, _ = history_handmade
    # The week ending Sun Apr 5 holds P1 (created Wed Apr 1) ...
    assert rows(con, "select opportunity_id from marts.fct_pipeline_weekly "
                     "where week_end = '2026-04-05' and opportunity_id = 'P1'") == [("P1",)]
    # ... the end of Tue Mar 31 (Q1's and March's last day) does not.  Open then: E1, E3, R1, R2
    # (H1 and H2 were lost in February for good).
    for grain in ("fiscal_quarter", "month"):
        got = rows(con, "select opportunity_id from marts.fct_pipeline_period_end "
                        "where period_grain = ? and period_end = '2026-03-31' and is_open order by 1", [grain])
        assert got == [("E1",), ("E3",), ("R1",), ("R2",)], grain


def test_quarter_end_pipeline_and_the_quarters_lost_deals(history_handmade):
    con, _ = history_handmade
    # At the end of Mar 31, EUR at 1.23457 (from Feb 1): E1 1000.05 x 1.23457 = 1234.6285 -> 1234.63,
    # E3 100.05 x 1.23457 = 123.5187 -> 123.52; R1 5000 and R2 3000 USD.
    # Pipeline = 1234.63 + 123.52 + 5000 + 3000 = 9358.15; closing in Q1 (R2 closes Apr 15) = 6358.15.
    got = rows(con, """
        select period_label, sum(amount_reporting), sum(amount_reporting) filter (close_fiscal_quarter = 'FY2026-Q1')
        from marts.fct_pipeline_period_end
        where period_grain = 'fiscal_quarter' and is_open group by 1""")
    assert got == [("FY2026-Q1", Decimal("9358.15"), Decimal("6358.15"))]
    # Lost during Q1 and still lost at its end: H1 (Feb 4) and H2 (Feb 3); nothing won stays won.
    got = rows(con, "select opportunity_id, is_won_in_period, is_lost_in_period from marts.fct_pipeline_period_end "
                    "where period_label = 'FY2026-Q1' and not is_open order by 1")
    assert got == [("H1", False, True), ("H2", False, True)]


def test_month_ends(history_handmade):
    con, _ = history_handmade
    # Period ends up to Apr 1 (the data's last event, P1's creation): Jan 31, Feb 28, Mar 31.
    # Jan 31: H1 reopened Jan 20 and H2 reopened Jan 21 are open again, with E1, E3, R1, R2: 6 open.
    #   E1 at 1.10: 1000.05 x 1.10 = 1100.055 -> 1100.06.
    # Feb 28: H1 and H2 lost in February (closed rows); 4 open.  Mar 31: 4 open, no closed row
    #   (H1 and H2 closed in February, not in March).
    got = rows(con, """
        select period_label, count(*) filter (is_open), count(*) filter (not is_open),
            max(amount_reporting) filter (opportunity_id = 'E1')
        from marts.fct_pipeline_period_end where period_grain = 'month' group by 1 order by 1""")
    assert got == [("2026-01", 6, 0, Decimal("1100.06")), ("2026-02", 4, 2, Decimal("1234.63")),
                   ("2026-03", 4, 0, Decimal("1234.63"))]
