"""The funnel marts' hand-made drop set: seven leads and nine opportunities whose answers are
worked out by hand in the tests (each expected figure carries its arithmetic): both conversion
methods, a skipped stage, a regression, a recycled lead, farming deals with no lead, a lead that
became a farming deal, an open deal, a lost deal reopened and won, and rates whose denominator is
zero.  It is built with fiscal_year_start_month = 2 and cohort_maturity_days = 60, so the marts
must take both from the vars."""

from __future__ import annotations

import datetime as dt
from functools import partial

from tests import drops
from tests.drops import account, mql, moves, touch, user

# Everything the funnel marts need; `cautious` keeps tests on unselected models out of the run.
BUILD_SELECTION = ["+path:models/marts/funnel"]

lead = partial(drops.lead, phone_prefix="+1 555 01")
opportunity = partial(drops.opportunity, name_suffix=" deal")

HANDMADE = {
    "2026-04-27": {
        "users": [
            user("u_ae", date_modified="2025-12-01 00:00:00"),
            user("u_sdr1", date_modified="2025-12-01 00:00:00"),
            user("u_sdr2", date_modified="2025-12-01 00:00:00"),
        ],
        "accounts": [
            account("acc_new", "New Logo", "2026-01-01 00:00:00"),
            account("acc_cust", "Old Customer", "2020-01-01 00:00:00", account_type="Customer"),
        ],
        "leads": [
            # Hunting leads converted into deals: won, lost after a skipped stage, open after a regression.
            lead("L1", "2026-01-05 09:10:00", "Converted", source="Web Site", sdr="u_sdr1", opportunity="O1",
                 first="Ada", last="Lovelace"),
            lead("L2", "2026-01-06 09:10:00", "Converted", source="Web Site", sdr="u_sdr1", opportunity="O2",
                 first="Grace", last="Hopper"),
            lead("L3", "2026-01-07 09:10:00", "Converted", source="Trade Show", sdr="u_sdr2", opportunity="O3",
                 first="Alan", last="Turing"),
            # Recycled and an MQL again in February (see mql_events): one entry, re_mql_count 1.
            lead("L4", "2026-01-08 09:05:00", "New", modified="2026-02-10 09:02:00", source="Trade Show",
                 sdr="u_sdr2", first="Edsger", last="Dijkstra"),
            # No mql event: an MQL from its creation.  No source, no SDR; its deal is lost unqualified.
            lead("L5", "2026-01-14 12:00:00", "Converted", opportunity="O5", first="Barbara", last="Liskov"),
            lead("L6", "2026-02-02 10:00:00", "Dead", source="Web Site", sdr="u_sdr1",
                 first="Donald", last="Knuth"),
            # A customer's contact: a lead that became an Existing Business deal (farming).
            lead("L7", "2026-02-03 09:00:00", "Converted", source="Existing Customer", sdr="u_sdr2",
                 opportunity="O8", first="Frances", last="Allen"),
        ],
        "mql_events": [
            mql("L1", "2026-01-05 09:00:00"),
            mql("L2", "2026-01-06 09:00:00"),
            mql("L3", "2026-01-07 09:00:00"),
            mql("L4", "2026-01-08 09:00:00"),
            mql("L4", "2026-01-20 09:00:00", event_type="recycled"),
            mql("L4", "2026-02-10 09:00:00"),
        ],
        "opportunities": [
            opportunity("O1", "2026-01-07 10:00:00", "2026-01-20 10:00:00", opp_type="New Business", amount="1000",
                        stage="Closed Won", account="acc_new"),
            opportunity("O2", "2026-01-08 09:00:00", "2026-01-25 09:00:00", opp_type="New Business", amount="2000",
                        stage="Closed Lost", account="acc_new"),
            opportunity("O3", "2026-01-09 09:00:00", "2026-01-15 09:00:00", opp_type="New Business", amount="3000",
                        stage="Prospecting", account="acc_new"),
            opportunity("O5", "2026-01-16 12:00:00", "2026-01-30 12:00:00", opp_type="New Business", amount="500",
                        stage="Closed Lost", account="acc_new"),
            # Farming deals with no lead: created straight at Qualification (SRL and SQL at once) ...
            opportunity("O6", "2026-01-12 10:00:00", "2026-02-05 10:00:00", opp_type="Existing Business",
                        amount="4000", stage="Closed Won", account="acc_cust"),
            # ... lost after qualifying ...
            opportunity("O7", "2026-02-09 10:00:00", "2026-02-20 10:00:00", opp_type="Existing Business",
                        amount="6000", stage="Closed Lost", account="acc_cust"),
            # ... and lost, reopened, won: won now, so it is not lost (and won at its first won entry).
            opportunity("O9", "2026-04-06 10:00:00", "2026-04-20 10:00:00", opp_type="Existing Business",
                        amount="800", stage="Closed Won", account="acc_cust"),
            # L7's deal, still open.
            opportunity("O8", "2026-02-05 09:00:00", "2026-02-05 09:00:00", opp_type="Existing Business",
                        amount="700", stage="Prospecting", account="acc_cust"),
        ],
        "opportunities_audit": [
            *moves("O1", ("2026-01-09 10:00:00", "Prospecting", "Qualification"),
                   ("2026-01-20 10:00:00", "Qualification", "Closed Won")),
            # Skips Qualification: SQL when it reaches Needs Analysis.
            *moves("O2", ("2026-01-12 09:00:00", "Prospecting", "Needs Analysis"),
                   ("2026-01-25 09:00:00", "Needs Analysis", "Closed Lost")),
            # Qualified, then back to Prospecting: still an SQL since 01-13.
            *moves("O3", ("2026-01-13 09:00:00", "Prospecting", "Qualification"),
                   ("2026-01-15 09:00:00", "Qualification", "Prospecting")),
            # Lost from Prospecting: never qualified.
            *moves("O5", ("2026-01-30 12:00:00", "Prospecting", "Closed Lost")),
            *moves("O6", ("2026-02-05 10:00:00", "Qualification", "Closed Won")),
            *moves("O7", ("2026-02-12 10:00:00", "Prospecting", "Qualification"),
                   ("2026-02-20 10:00:00", "Qualification", "Closed Lost")),
            *moves("O9", ("2026-04-08 10:00:00", "Prospecting", "Qualification"),
                   ("2026-04-10 10:00:00", "Qualification", "Closed Lost"),
                   ("2026-04-15 10:00:00", "Closed Lost", "Qualification"),
                   ("2026-04-20 10:00:00", "Qualification", "Closed Won")),
        ],
        "calls": [
            touch("C1", "Leads", "L1", "2026-01-05 09:30:00", "Held"),  # L1: 0.5 h
            touch("C2", "Leads", "L2", "2026-01-06 10:00:00", "Not Held"),  # not a touch
            touch("C3", "Leads", "L2", "2026-01-06 21:00:00", "Held"),  # L2: 12 h
            touch("C4", "Leads", "L6", "2026-02-02 09:00:00", "Held"),  # before L6's MQL: not a touch
            touch("C5", "Leads", "L6", "2026-02-02 10:45:00", "Held"),  # L6: 0.75 h
            touch("C6", "Opportunities", "O1", "2026-01-08 09:00:00", "Held"),  # a deal's call
        ],
        "meetings": [
            touch("M1", "Leads", "L3", "2026-01-08 09:00:00", "Held"),  # L3: 24 h exactly
            touch("M2", "Leads", "L4", "2026-01-09 09:00:00", "Planned"),  # not a touch
        ],
    },
}

# The data ends with O9's last change, 2026-04-20 10:00: the as-of date is 2026-04-20.
AS_OF = dt.date(2026, 4, 20)
HANDMADE_VARS = {"fiscal_year_start_month": 2, "cohort_maturity_days": 60}
