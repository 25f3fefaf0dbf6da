"""The forecast marts' hand-made drop set: a three-level sales organisation (VP -> manager -> two
reps), plus two users whose reports_to_id point at each other (a cycle), with eight deals closing in
fiscal 2026-Q1 whose forecast categories, close dates and stages change during the quarter.  The
tests work out commit, best case and pipeline for every node by hand at two week ends (W1, W2), and
build the same drops with a February fiscal-year start to prove the quarters move.

Calendar (2026, weeks end on Sunday): FY2026-Q1 = Jan 1 .. Mar 31 with the default January start;
Sundays Jan 18 (week 3), Feb 8 (week 6), Feb 15 (week 7), Feb 22.
"""

from __future__ import annotations

import datetime as dt

from tests.drops import change, opportunity, user

BUILD_SELECTION = ["+path:models/marts/forecast", "+path:models/marts/calendar"]  # the tests read the calendar mart too

W1, W2 = dt.date(2026, 1, 18), dt.date(2026, 2, 15)

USERS = [
    user("u_vp", first_name="Vera", last_name="Price", title="VP Sales"),
    user("u_mgr", first_name="Max", last_name="Grant", title="Sales Manager", reports_to_id="u_vp"),
    user("u_rep_a", title="Account Executive", reports_to_id="u_mgr"),
    user("u_rep_b", title="Account Executive", reports_to_id="u_mgr"),
    # A cycle in the export: x reports to y, y reports to x.
    user("u_x", reports_to_id="u_y"),
    user("u_y", reports_to_id="u_x"),
]

# Current records; the audit log below replays how they got there.
OPPORTUNITIES = [
    # D1 rep_a 10000: upside, made include on Mon Feb 2.  (Its last edit, Feb 20, ends the spine at Sun Feb 22.)
    opportunity("D1", "2026-01-05 09:00:00", "2026-02-20 09:00:00", owner="u_rep_a", amount="10000",
                close="2026-03-15", stage="Qualification", commit="include"),
    # D2 rep_a 4000: exclude throughout.
    opportunity("D2", "2026-01-05 09:00:00", "2026-01-05 09:00:00", owner="u_rep_a", amount="4000",
                close="2026-03-20", stage="Prospecting", commit="exclude"),
    # D3 rep_b 6000: include, won Tue Feb 10 with that close date.
    opportunity("D3", "2026-01-05 09:00:00", "2026-02-10 10:00:00", owner="u_rep_b", amount="6000",
                close="2026-02-10", stage="Closed Won", commit="include"),
    # D4 rep_b 3000: include, made upside Wed Jan 28, close date pushed to Apr 20 (Q2) Thu Feb 5.
    opportunity("D4", "2026-01-05 09:00:00", "2026-02-05 10:00:00", owner="u_rep_b", amount="3000",
                close="2026-04-20", stage="Needs Analysis", commit="upside"),
    # D5 the manager's own deal, 5000, upside.
    opportunity("D5", "2026-01-06 09:00:00", "2026-01-06 09:00:00", owner="u_mgr", amount="5000",
                close="2026-03-31", stage="Qualification", commit="upside"),
    # D6 the VP's own deal, 2000, include, created Tue Jan 20 (after the first week end checked).
    opportunity("D6", "2026-01-20 09:00:00", "2026-01-20 09:00:00", owner="u_vp", amount="2000", close="2026-03-05",
                stage="Qualification", commit="include"),
    # D7 rep_a 1500: include, lost Fri Jan 30.
    opportunity("D7", "2026-01-05 09:00:00", "2026-01-30 10:00:00", owner="u_rep_a", amount="1500",
                close="2026-01-30", stage="Closed Lost", commit="include"),
    # D8 x (in the cycle) 700: include.
    opportunity("D8", "2026-01-05 09:00:00", "2026-01-05 09:00:00", owner="u_x", amount="700", close="2026-03-10",
                stage="Qualification", commit="include"),
]

AUDIT = [
    change("a1", "D1", "2026-02-02 10:00:00", "commit_stage", "upside", "include"),
    change("a2", "D3", "2026-02-10 10:00:00", "sales_stage", "Qualification", "Closed Won"),
    change("a3", "D3", "2026-02-10 10:00:00", "date_closed", "2026-02-28", "2026-02-10"),
    change("a4", "D4", "2026-01-28 10:00:00", "commit_stage", "include", "upside"),
    change("a5", "D4", "2026-02-05 10:00:00", "date_closed", "2026-03-10", "2026-04-20"),
    change("a6", "D7", "2026-01-30 10:00:00", "sales_stage", "Prospecting", "Closed Lost"),
    change("a7", "D7", "2026-01-30 10:00:00", "date_closed", "2026-03-01", "2026-01-30"),
]

TARGETS = [
    {"user_id": "u_rep_a", "fiscal_period": "FY2026-Q1", "amount": "20000"},
    {"user_id": "u_rep_b", "fiscal_period": "FY2026-Q1", "amount": "10000"},
]

HANDMADE = {
    "2026-02-21": {
        "users": USERS,
        "leads": [],
        "opportunities": OPPORTUNITIES,
        "opportunities_audit": AUDIT,
        "targets": TARGETS,
    },
}
FEBRUARY_VARS = {"fiscal_year_start_month": 2}  # the same drops with a February fiscal-year start
