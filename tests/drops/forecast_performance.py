"""The slippage and owner-performance marts' hand-made drop set: a two-level sales team (a manager,
two reps) with ten deals over fiscal 2026-Q1 and Q2 (the fiscal year starts in January, weeks end on
Sunday), holding the cases whose answers tests/test_mart_forecast_slippage.py and
tests/test_mart_owner_performance.py work out by hand: close dates moved out of a quarter early
(pushed out) and late (slipped), a deal moved out, pulled back and moved out again in one quarter, a
deal moving out of two quarters in turn, won and lost deals (lost before and after SQL) in both
quarters, an amount raised after the creation week, and targets for Q1 only.

Calendar (2026): Q1 = Jan 1 .. Mar 31, its last third March; Q2 = Apr 1 .. Jun 30, its last third
June.  Sundays: Feb 8, Mar 8, 15, 22, 29, Apr 5, 26, May 10, 24, Jun 7, 14.  The spine ends at
Sun Jun 14 (the latest change, Wed Jun 10).
"""

from __future__ import annotations

from tests.drops import change, opportunity, user

BUILD_SELECTION = ["+path:models/marts/forecast"]

USERS = [
    user("u_mgr", first_name="Mia", last_name="Gold", title="Sales Manager"),
    user("u_rep_a", title="Account Executive", reports_to_id="u_mgr"),
    user("u_rep_b", title="Account Executive", reports_to_id="u_mgr"),
]

HUNTING, FARMING = "New Business", "Existing Business"

# Current records; the audit log below replays how they got there (all at 10:00).
OPPORTUNITIES = [
    # S1 rep_a 1000: close Mar 20, moved to May 15 on Wed Feb 4 (Q1, before March: pushed out),
    # then to Aug 20 on Wed Jun 10 (Q2's June: slipped).  Still open.
    opportunity("S1", "2026-01-05 10:00:00", "2026-06-10 10:00:00", owner="u_rep_a", opp_type=HUNTING,
                amount="1000", close="2026-08-20", stage="Qualification"),
    # S2 rep_a 2000: close Mar 25, moved to Apr 30 on Tue Mar 10 (slipped), won Mon Apr 20.
    opportunity("S2", "2026-01-05 10:00:00", "2026-04-20 10:00:00", owner="u_rep_a", opp_type=HUNTING,
                amount="2000", close="2026-04-20", stage="Closed Won"),
    # S3 rep_b 3000: close Feb 20, won Fri Feb 20.
    opportunity("S3", "2026-01-06 10:00:00", "2026-02-20 10:00:00", owner="u_rep_b", opp_type=HUNTING,
                amount="3000", close="2026-02-20", stage="Closed Won"),
    # S4 rep_b 4000: close Mar 31, moved to Apr 15 on Wed Mar 4 (slipped), back to Mar 30 on
    # Thu Mar 12 (pulled in), to May 5 on Wed Mar 18 (slipped again); lost Tue May 5 from Needs Analysis.
    opportunity("S4", "2026-01-06 10:00:00", "2026-05-05 10:00:00", owner="u_rep_b", opp_type=HUNTING,
                amount="4000", close="2026-05-05", stage="Closed Lost"),
    # S5 rep_b 5000: close Mar 15, lost Fri Mar 13 from Needs Analysis (qualified), close Mar 13.
    opportunity("S5", "2026-01-07 10:00:00", "2026-03-13 10:00:00", owner="u_rep_b", opp_type=HUNTING,
                amount="5000", close="2026-03-13", stage="Closed Lost"),
    # P1 rep_a: created at 7000, raised to 8000 on Mon Mar 2, won Wed Mar 18.
    opportunity("P1", "2026-01-12 10:00:00", "2026-03-18 10:00:00", owner="u_rep_a", opp_type=HUNTING,
                amount="8000", close="2026-03-18", stage="Closed Won"),
    # P2 rep_b 6000, farming: won Wed Mar 4.
    opportunity("P2", "2026-02-02 10:00:00", "2026-03-04 10:00:00", owner="u_rep_b", opp_type=FARMING,
                amount="6000", close="2026-03-04", stage="Closed Won"),
    # P3 rep_a 1500: lost from Prospecting (never qualified) Tue Feb 10.
    opportunity("P3", "2026-01-20 10:00:00", "2026-02-10 10:00:00", owner="u_rep_a", opp_type=HUNTING,
                amount="1500", close="2026-02-10", stage="Closed Lost", commit="exclude"),
    # P4 rep_b 2500: created Mon Apr 6, won Wed May 20.
    opportunity("P4", "2026-04-06 10:00:00", "2026-05-20 10:00:00", owner="u_rep_b", opp_type=HUNTING,
                amount="2500", close="2026-05-20", stage="Closed Won"),
    # P5 rep_a 9000: created Tue Apr 7, lost from Qualification Wed Jun 3.
    opportunity("P5", "2026-04-07 10:00:00", "2026-06-03 10:00:00", owner="u_rep_a", opp_type=HUNTING,
                amount="9000", close="2026-06-03", stage="Closed Lost"),
]

AUDIT = [
    change("s1a", "S1", "2026-02-04 10:00:00", "date_closed", "2026-03-20", "2026-05-15"),
    change("s1b", "S1", "2026-06-10 10:00:00", "date_closed", "2026-05-15", "2026-08-20"),
    change("s2a", "S2", "2026-03-10 10:00:00", "date_closed", "2026-03-25", "2026-04-30"),
    change("s2b", "S2", "2026-04-20 10:00:00", "sales_stage", "Qualification", "Closed Won"),
    change("s2c", "S2", "2026-04-20 10:00:00", "date_closed", "2026-04-30", "2026-04-20"),
    change("s3a", "S3", "2026-02-20 10:00:00", "sales_stage", "Qualification", "Closed Won"),
    change("s4a", "S4", "2026-03-04 10:00:00", "date_closed", "2026-03-31", "2026-04-15"),
    change("s4b", "S4", "2026-03-12 10:00:00", "date_closed", "2026-04-15", "2026-03-30"),
    change("s4c", "S4", "2026-03-18 10:00:00", "date_closed", "2026-03-30", "2026-05-05"),
    change("s4d", "S4", "2026-05-05 10:00:00", "sales_stage", "Needs Analysis", "Closed Lost"),
    change("s5a", "S5", "2026-03-13 10:00:00", "sales_stage", "Needs Analysis", "Closed Lost"),
    change("s5b", "S5", "2026-03-13 10:00:00", "date_closed", "2026-03-15", "2026-03-13"),
    change("p1a", "P1", "2026-03-02 10:00:00", "amount", "7000", "8000"),
    change("p1b", "P1", "2026-03-18 10:00:00", "sales_stage", "Negotiation/Review", "Closed Won"),
    change("p2a", "P2", "2026-03-04 10:00:00", "sales_stage", "Qualification", "Closed Won"),
    change("p3a", "P3", "2026-02-10 10:00:00", "sales_stage", "Prospecting", "Closed Lost"),
    change("p4a", "P4", "2026-05-20 10:00:00", "sales_stage", "Qualification", "Closed Won"),
    change("p5a", "P5", "2026-06-03 10:00:00", "sales_stage", "Qualification", "Closed Lost"),
]

# Targets for Q1 only: Q2's quota attainment is null.
TARGETS = [
    {"user_id": "u_rep_a", "fiscal_period": "FY2026-Q1", "amount": "10000"},
    {"user_id": "u_rep_b", "fiscal_period": "FY2026-Q1", "amount": "12000"},
]

HANDMADE = {
    "2026-06-15": {
        "users": USERS,
        "leads": [],
        "opportunities": OPPORTUNITIES,
        "opportunities_audit": AUDIT,
        "targets": TARGETS,
    },
}
