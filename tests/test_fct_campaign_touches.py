"""fct_campaign_touches (issue 6): which campaign touched an entry before its MQL.

Built once per session from the hand-made marketing drop set (tests/drops/marketing.py: each
expected credit carries its arithmetic), with fiscal_year_start_month = 2 and
cohort_maturity_days = 60.
"""

from __future__ import annotations

import datetime as dt

from tests.warehouse import rows


D = dt.date
T = dt.datetime


# ----------------------------------------------------------------------------- fct_campaign_touches


def test_touches_of_the_won_lead_and_what_is_not_a_touch(marketing_handmade):
    con, _ = marketing_handmade
    got = rows(
        con,
        "select touch_id, campaign_id, channel, touch_source, touch_type, touched_at, is_counted, touch_seq, "
        "counted_touches, is_first_touch, is_last_touch_before_mql, linear_weight "
        "from marts.fct_campaign_touches where lead_id = 'L1' order by touched_at",
    )
    # t1 (targeted: a send) and t2 (invalid_email) are not touches; the mql event at 01-20 09:00
    # repeats t5 (same campaign, same instant) and is not a second touch.
    assert got == [
        ("t3", "C_ADS", "Paid Search", "campaign_log", "link", T(2026, 1, 10, 10), True, 1, 3, True, False, 1 / 3),
        ("t4", "C_WEB", "Web", "campaign_log", "viewed", T(2026, 1, 15, 10), True, 2, 3, False, False, 1 / 3),
        ("t5", "C_WEB", "Web", "campaign_log", "lead", T(2026, 1, 20, 9), True, 3, 3, False, True, 1 / 3),
        # After the MQL: kept, not credited.
        ("t6", "C_MAIL", "Email", "campaign_log", "viewed", T(2026, 2, 3, 12), False, None, 3, False, False, 0.0),
    ]


def test_sourcing_campaign_and_mql_event_touches(marketing_handmade):
    con, _ = marketing_handmade
    got = rows(
        con,
        "select entry_id, touch_id, campaign_id, touch_source, touch_type, touched_at, is_counted, "
        "is_first_touch, is_last_touch_before_mql, linear_weight "
        "from marts.fct_campaign_touches where entry_id <> 'lead:L1' order by entry_id, touched_at",
    )
    assert got == [
        # L2: C_WEB viewed it, then C_EVT (its sourcing campaign, no logged touch) at its MQL.
        ("lead:L2", "t7", "C_WEB", "campaign_log", "viewed", T(2026, 2, 5, 10), True, True, False, 0.5),
        ("lead:L2", "sourcing:lead:L2", "C_EVT", "sourcing_campaign", "sourced", T(2026, 2, 12, 10), True, False,
         True, 0.5),
        # L3: the mql event is its touch; its sourcing campaign C_ADS has it, so no sourcing touch.
        ("lead:L3", "mql_event:L3:2026-02-20 09:00:00", "C_ADS", "mql_event", "mql", T(2026, 2, 20, 9), True, True,
         True, 1.0),
        ("lead:L3", "t8", "C_WEB", "campaign_log", "viewed", T(2026, 2, 27, 10), False, False, False, 0.0),
        # L5: touched only after its MQL (and its mql event names no campaign).
        ("lead:L5", "t9", "C_MAIL", "campaign_log", "viewed", T(2026, 2, 10, 10), False, False, False, 0.0),
        # O6, a deal with no lead: its own campaign, at its creation.
        ("opportunity:O6", "sourcing:opportunity:O6", "C_EVT", "sourcing_campaign", "sourced", T(2026, 2, 16, 9),
         True, True, True, 1.0),
    ]
