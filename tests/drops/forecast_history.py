"""The history details of issue 13 (items 5 to 8), in one hand-made drop set whose answers the tests
work out by hand (tests/test_forecast_history.py):

- H1 lost, reopened, qualified and lost again; H2 won, reopened and lost (item 8a: the close that stands).
- E1 and E3 in euros without a CRM conversion, open across a rate change on Feb 1 (item 8b).
- u_rep moves from u_mgr_a to u_mgr_b on Wed Feb 11: the second users drop says so (item 7).
- R2 closes in Q2: the next quarter of every Q1 week (item 5).
- P1 is created on Wed Apr 1, the day after Q1 ended on Tue Mar 31 (item 6).

Calendar (2026, default January fiscal year, weeks end on Sunday): Q1 = Jan 1 .. Mar 31 (Tuesday),
Q2 = Apr 1 .. Jun 30.  Sundays: Jan 4, 11, 18, 25, Feb 1, 8, 15, 22, Mar 1, 8, 15, 22, 29, Apr 5.
"""

from __future__ import annotations

import datetime as dt

from tests.drops import moves, opportunity, user

BUILD_SELECTION = [
    "+path:models/marts/funnel", "+path:models/marts/pipeline", "+path:models/marts/forecast",
    "+path:models/marts/calendar",
]

MOVE_DAY = dt.date(2026, 2, 11)  # u_rep reports to u_mgr_b from this Wednesday

USERS_BEFORE = [
    user("u_vp", title="VP Sales", date_modified="2025-12-01 00:00:00"),
    user("u_mgr_a", title="Sales Manager", reports_to_id="u_vp", date_modified="2025-12-01 00:00:00"),
    user("u_mgr_b", title="Sales Manager", reports_to_id="u_vp", date_modified="2025-12-01 00:00:00"),
    user("u_rep", title="Account Executive", reports_to_id="u_mgr_a", date_modified="2025-12-01 00:00:00"),
]
# The later export: u_rep's record was changed on Feb 11 to report to u_mgr_b.
USERS_AFTER = [
    *USERS_BEFORE[:3],
    user("u_rep", title="Account Executive", reports_to_id="u_mgr_b", date_modified="2026-02-11 09:00:00"),
]

OPPORTUNITIES = [
    # H1: Prospecting; lost Mon Jan 12; reopened Tue Jan 20; qualified Mon Jan 26; lost again Wed Feb 4.
    opportunity("H1", "2026-01-05 09:00:00", "2026-02-04 10:00:00", owner="u_vp", amount="4000",
                stage="Closed Lost", close="2026-02-04", commit="exclude"),
    # H2: created qualified; won Wed Jan 14; reopened Wed Jan 21 (Negotiation/Review); lost Tue Feb 3.
    opportunity("H2", "2026-01-05 09:00:00", "2026-02-03 10:00:00", owner="u_vp", amount="2500",
                stage="Closed Lost", close="2026-02-03", commit="exclude"),
    # E1: 1000.05 EUR, no amount_usdollar, open in Qualification all quarter.
    opportunity("E1", "2026-01-06 09:00:00", "2026-01-06 09:00:00", owner="u_mgr_a", amount="1000.05",
                stage="Qualification", close="2026-03-25", commit="include", currency_id="EUR"),
    # E3: 100.05 EUR, the same way.
    opportunity("E3", "2026-01-06 09:00:00", "2026-01-06 09:00:00", owner="u_mgr_a", amount="100.05",
                stage="Qualification", close="2026-03-26", commit="include", currency_id="EUR"),
    # R1: u_rep's 5000 USD deal closing in Q1, open all quarter.
    opportunity("R1", "2026-01-05 09:00:00", "2026-01-05 09:00:00", owner="u_rep", amount="5000",
                stage="Qualification", close="2026-03-20", commit="include"),
    # R2: u_rep's 3000 USD deal closing in Q2 (Apr 15), open since Jan 7.
    opportunity("R2", "2026-01-07 09:00:00", "2026-01-07 09:00:00", owner="u_rep", amount="3000",
                stage="Qualification", close="2026-04-15", commit="upside"),
    # P1: created the day after Q1 ended, 700 USD closing in Q2; its creation is the data's last event.
    opportunity("P1", "2026-04-01 10:00:00", "2026-04-01 10:00:00", owner="u_rep", amount="700",
                stage="Prospecting", close="2026-05-10", commit="include"),
]

AUDIT = [
    *moves("H1", ("2026-01-12 10:00:00", "Prospecting", "Closed Lost"),
           ("2026-01-20 10:00:00", "Closed Lost", "Prospecting"),
           ("2026-01-26 10:00:00", "Prospecting", "Qualification"),
           ("2026-02-04 10:00:00", "Qualification", "Closed Lost")),
    *moves("H2", ("2026-01-14 10:00:00", "Qualification", "Closed Won"),
           ("2026-01-21 10:00:00", "Closed Won", "Negotiation/Review"),
           ("2026-02-03 10:00:00", "Negotiation/Review", "Closed Lost")),
]

# EUR is worth 1.10 USD from Jan 1, 1.23457 from Sun Feb 1.
RATES = [
    {"currency_id": "EUR", "date": "2026-01-01", "rate": "1.10"},
    {"currency_id": "EUR", "date": "2026-02-01", "rate": "1.23457"},
]

HANDMADE = {
    "2026-01-31": {"users": USERS_BEFORE},
    "2026-04-02": {
        "users": USERS_AFTER,
        "leads": [],
        "opportunities": OPPORTUNITIES,
        "opportunities_audit": AUDIT,
        "currency_rates": RATES,
    },
}
CURRENT_HIERARCHY_VARS = {"hierarchy_as_of": "current"}
