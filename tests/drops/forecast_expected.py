"""The expected forecast's hand-made drop set: a tiny history of closed quarters and two open deals,
so that the win probabilities, the new-deal term, the expected forecast and its p10/p90 can be worked
out by hand (tests/test_mart_forecast_expected.py).  One rep (u_ae) under a VP; every deal is New
Business (motion hunting).

Calendar (default January fiscal start, weeks end on Sunday):
- FY2025-Q3 = Jul 1 .. Sep 30 2025, last week end Sun Oct 5.
- FY2025-Q4 = Oct 1 .. Dec 31 2025, last week end Sun Jan 4 2026.
- FY2026-Q1 = Jan 1 .. Mar 31 2026, last week end Sun Apr 5; the forecast checked is as of Sun
  Mar 1 (AS_OF), 5 weeks before it, 30 days before the quarter end.

History:
- P0, created Mon Aug 18 2025, open with a close date in 2027: in no reported quarter's pipeline;
  it only makes the as-of spine start at Sun Aug 24.
- N3 (FY2025-Q3): created Wed Sep 3 and won Fri Sep 5, 3000: never open at a week end, so
  "new" business of the quarter at Aug 31 (5 weeks before its last week end).
- H1..H6 (FY2025-Q4): created Mon Nov 24 in Qualification, close date Wed Dec 17, 10000 each;
  H1..H3 won on Dec 17, H4..H6 lost.  Open at Sun Nov 30, Dec 7 (0-13 days in stage) and Dec 14
  (20 days: 14-41), always 14-41 days before the quarter end.
- H7, H8 (FY2025-Q4): the same in Proposal/Price Quote, both won.
- N4 (FY2025-Q4): created Wed Dec 3 and won Fri Dec 5, 1000: new business at Nov 30.

The open deals (FY2026-Q1), created Mon Feb 23 2026, close date Fri Mar 20:
- O1 Qualification, 10000; O2 Proposal/Price Quote, 4000.
Then, on Wed Mar 4, O1 is won (WON) or lost (LOST), O2 is lost, and an edit on Fri Apr 10 takes the
data past FY2026-Q1's last week end, so that quarter closes with the outcome the variant says.
"""

from __future__ import annotations

import datetime as dt

from tests.drops import change, opportunity, user

BUILD_SELECTION = ["+path:models/marts/forecast"]

AS_OF = dt.date(2026, 3, 1)
Q4_LAST_WEEK_END = dt.date(2026, 1, 4)
Q1_LAST_WEEK_END = dt.date(2026, 4, 5)

USERS = [
    user("u_vp", first_name="Vera", last_name="Price", title="VP Sales"),
    user("u_ae", title="Account Executive", reports_to_id="u_vp"),
]


def history() -> tuple[list[dict], list[dict]]:
    """The closed quarters' deals and their audit rows."""
    opps = [
        opportunity("P0", "2025-08-18 09:00:00", "2026-04-10 09:00:00", amount="1", stage="Prospecting",
                    close="2027-06-30", commit="exclude"),
        opportunity("N3", "2025-09-03 09:00:00", "2025-09-05 09:00:00", amount="3000", stage="Closed Won"),
        opportunity("N4", "2025-12-03 09:00:00", "2025-12-05 09:00:00", amount="1000", stage="Closed Won"),
    ]
    audit = [
        change("N3-a1", "N3", "2025-09-05 09:00:00", "sales_stage", "Prospecting", "Closed Won"),
        change("N4-a1", "N4", "2025-12-05 09:00:00", "sales_stage", "Prospecting", "Closed Won"),
    ]
    for n in range(1, 9):
        stage = "Qualification" if n <= 6 else "Proposal/Price Quote"
        outcome = "Closed Won" if n in (1, 2, 3, 7, 8) else "Closed Lost"
        opps.append(opportunity(f"H{n}", "2025-11-24 09:00:00", "2025-12-17 10:00:00", amount="10000",
                                stage=outcome, close="2025-12-17"))
        audit.append(change(f"H{n}-a1", f"H{n}", "2025-12-17 10:00:00", "sales_stage", stage, outcome))
    return opps, audit


def drops(o1_outcome: str) -> dict:
    """The drop set with O1 closed as `o1_outcome` (Closed Won or Closed Lost) on Mar 4."""
    opps, audit = history()
    opps += [
        opportunity("O1", "2026-02-23 09:00:00", "2026-03-04 10:00:00", amount="10000", stage=o1_outcome,
                    close="2026-03-04"),
        opportunity("O2", "2026-02-23 09:00:00", "2026-03-04 10:00:00", amount="4000", stage="Closed Lost",
                    close="2026-03-04"),
    ]
    audit += [
        change("O1-a1", "O1", "2026-03-04 10:00:00", "sales_stage", "Qualification", o1_outcome),
        change("O1-a2", "O1", "2026-03-04 10:00:00", "date_closed", "2026-03-20", "2026-03-04"),
        change("O2-a1", "O2", "2026-03-04 10:00:00", "sales_stage", "Proposal/Price Quote", "Closed Lost"),
        change("O2-a2", "O2", "2026-03-04 10:00:00", "date_closed", "2026-03-20", "2026-03-04"),
    ]
    return {"2026-04-10": {"users": USERS, "leads": [], "opportunities": opps, "opportunities_audit": audit}}


WON = drops("Closed Won")
LOST = drops("Closed Lost")
