"""The pipeline marts' hand-made history: five opportunities in fiscal 2026-Q1 (the fiscal year
starts in January, weeks end on Sunday) holding the cases whose answers the tests work out by hand:
the as-of state at chosen week ends, days in stage with a regression, a close date pushed out of
the quarter early (pushed) and late (slipped), the weekly movement, the four V's and stage velocity.

Calendar (2026): Sundays Jan 11, 18, 25, Feb 1, 8, 15, 22, Mar 1, 8, 15.
Q1 = Jan 1 .. Mar 31; its last third is March.
"""

from __future__ import annotations

from tests.drops import change, opportunity, user

# Everything the pipeline marts need, and nothing else (the funnel marts are other
# modules' business); `cautious` keeps tests on unselected models out of the run.
BUILD_SELECTION = ["+path:models/marts/pipeline"]

USERS = [
    user("u_mgr"),
    user("u_rep_a", reports_to_id="u_mgr"),
    user("u_rep_b", reports_to_id="u_mgr"),
]

# The current records (the audit log replayed from the creation values ends here).
OPPORTUNITIES = [
    # OA, hunting: Prospecting -> Qualification -> Needs Analysis -> back to
    # Qualification -> Needs Analysis again -> won; handed from rep_a to rep_b.
    opportunity("OA", "2026-01-05 09:00:00", "2026-02-10 10:00:00", owner="u_rep_b", opp_type="New Business",
                amount="12000", close="2026-02-10", stage="Closed Won", commit="include"),
    # OB, farming: created in Qualification; its close date is moved out of Q1 on a
    # Wednesday in February (early in the quarter: pushed out).
    opportunity("OB", "2026-01-06 09:00:00", "2026-02-22 23:30:00", owner="u_rep_b", opp_type="Existing Business",
                amount="5000", close="2026-04-15", stage="Qualification", commit="include"),
    # OC, hunting, never qualified: its close date is moved out of Q1 on a Tuesday in
    # March (the last third: slipped), then it is lost with the close date of that day.
    opportunity("OC", "2026-01-08 09:00:00", "2026-03-10 10:00:00", owner="u_rep_a", opp_type="New Business",
                amount="8000", close="2026-03-10", stage="Closed Lost", commit="exclude"),
    # OD, farming, in euros: 1000 EUR, then 2000 EUR; the CRM converted today's amount to 2200 USD.
    opportunity("OD", "2026-02-02 09:00:00", "2026-02-23 00:00:00", owner="u_rep_b", opp_type="Existing Business",
                amount="2000", close="2026-03-31", stage="Qualification", commit="include", currency_id="EUR",
                amount_usdollar="2200"),
    # OE, hunting: created in Needs Analysis (qualified), lost.
    opportunity("OE", "2026-01-12 09:00:00", "2026-02-11 10:00:00", owner="u_rep_a", opp_type="New Business",
                amount="20000", close="2026-02-11", stage="Closed Lost", commit="exclude"),
]

AUDIT = [
    change("a01", "OA", "2026-01-07 10:00:00", "sales_stage", "Prospecting", "Qualification"),
    change("a02", "OA", "2026-01-14 10:00:00", "sales_stage", "Qualification", "Needs Analysis"),
    change("a03", "OA", "2026-01-14 10:00:00", "amount", "10000", "12000"),
    change("a04", "OA", "2026-01-20 10:00:00", "sales_stage", "Needs Analysis", "Qualification"),
    change("a05", "OA", "2026-01-21 10:00:00", "commit_stage", "exclude", "upside"),
    change("a06", "OA", "2026-01-27 10:00:00", "sales_stage", "Qualification", "Needs Analysis"),
    change("a07", "OA", "2026-02-03 10:00:00", "assigned_user_id", "u_rep_a", "u_rep_b"),
    change("a08", "OA", "2026-02-10 10:00:00", "sales_stage", "Needs Analysis", "Closed Won"),
    change("a09", "OA", "2026-02-10 10:00:00", "date_closed", "2026-03-20", "2026-02-10"),
    change("a10", "OA", "2026-02-10 10:00:00", "commit_stage", "upside", "include"),
    change("b01", "OB", "2026-02-04 11:00:00", "date_closed", "2026-03-15", "2026-04-15"),
    # Half an hour before the end of Sunday 2026-02-22: in that week's state.
    change("b02", "OB", "2026-02-22 23:30:00", "commit_stage", "upside", "include"),
    change("c01", "OC", "2026-03-03 11:00:00", "date_closed", "2026-03-25", "2026-05-10"),
    change("c02", "OC", "2026-03-10 10:00:00", "sales_stage", "Prospecting", "Closed Lost"),
    change("c03", "OC", "2026-03-10 10:00:00", "date_closed", "2026-05-10", "2026-03-10"),
    change("d01", "OD", "2026-02-10 09:00:00", "amount", "1000", "2000"),
    # Monday 00:00 after 2026-02-22: not in that week's state.
    change("d02", "OD", "2026-02-23 00:00:00", "commit_stage", "upside", "include"),
    change("e01", "OE", "2026-02-11 10:00:00", "sales_stage", "Needs Analysis", "Closed Lost"),
    change("e02", "OE", "2026-02-11 10:00:00", "date_closed", "2026-02-28", "2026-02-11"),
]

HANDMADE = {
    "2026-03-16": {
        "users": USERS,
        "leads": [],
        "opportunities": OPPORTUNITIES,
        "opportunities_audit": AUDIT,
        "currency_rates": [{"currency_id": "EUR", "date": "2026-01-01", "rate": "1.05"}],
    },
}

