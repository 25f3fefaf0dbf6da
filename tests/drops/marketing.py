"""The marketing marts' hand-made drop set, whose credits are worked out by hand in the tests (each
expected figure carries its arithmetic): the won lead L1 with three counted touches from two
campaigns, plus what the rules need: an MQL event that repeats a logged touch, a sourcing campaign
with no logged touch, an MQL event as the only touch, touches after the MQL, sends and bounces that
are not touches, a lead no campaign touched, a farming deal sourced by a campaign, spend in EUR at
two rates, spend with no campaign, and spend in a currency with no rate.  Built with
fiscal_year_start_month = 2 and cohort_maturity_days = 60, so the marts must take both from the vars."""

from __future__ import annotations

import datetime as dt
from functools import partial

from tests import drops
from tests.drops import account, log, mql, moves, spend, user

BUILD_SELECTION = ["+path:models/marts/marketing"]

lead = partial(drops.lead, sdr="u_sdr")
opportunity = partial(drops.opportunity, name_suffix=" deal")


HANDMADE = {
    "2026-04-13": {
        "users": [
            user("u_ae"),
            user("u_sdr"),
        ],
        "accounts": [
            account("acc_new", "New Logo", "2026-01-01 00:00:00"),
            account("acc_cust", "Old Customer", "2020-01-01 00:00:00", account_type="Customer"),
        ],
        "campaigns": [
            {"id": "C_ADS", "name": "Google Ads - Brand", "campaign_type": "Paid Search", "currency_id": "USD"},
            {"id": "C_WEB", "name": "Webinar: Forecasting", "campaign_type": "Web", "currency_id": "USD"},
            {"id": "C_EVT", "name": "RevOps Summit EMEA", "campaign_type": "Event", "currency_id": "EUR"},
            {"id": "C_MAIL", "name": "Nurture: Pipeline", "campaign_type": "Email", "currency_id": "USD"},
        ],
        "leads": [
            # The won lead: MQL 01-20 09:00 (its mql event), converted into O1.
            lead("L1", "2026-01-20 09:05:00", "Converted", modified="2026-01-22 10:00:00",
                 campaign="C_WEB", source="Web Site", opportunity="O1", first="Ada", last="Lovelace"),
            # No mql event: an MQL at its creation.  Sourced by C_EVT, which logged no touch on it.
            lead("L2", "2026-02-12 10:00:00", "Converted", modified="2026-02-14 10:00:00",
                 campaign="C_EVT", source="Trade Show", opportunity="O2", first="Grace", last="Hopper"),
            # Its only touch before the MQL is the mql event naming C_ADS (its sourcing campaign too).
            lead("L3", "2026-02-20 09:10:00", "In Process", modified="2026-02-20 09:10:00",
                 campaign="C_ADS", source="Campaign", first="Alan", last="Turing"),
            # No campaign ever touched it: unattributed, and won.
            lead("L4", "2026-02-25 11:00:00", "Converted", modified="2026-02-27 10:00:00",
                 source="Cold Call", opportunity="O4", first="Edsger", last="Dijkstra"),
            # Touched only after its MQL: unattributed.
            lead("L5", "2026-01-25 15:05:00", "Dead", modified="2026-01-30 15:00:00",
                 source="Web Site", first="Barbara", last="Liskov"),
        ],
        "mql_events": [
            # Same campaign, same instant as L1's logged `lead` touch: one touch, not two.
            mql("L1", "2026-01-20 09:00:00", campaign_id="C_WEB"),
            mql("L3", "2026-02-20 09:00:00", campaign_id="C_ADS"),
            mql("L5", "2026-01-25 15:00:00"),
        ],
        "campaign_log": [
            log("t1", "C_MAIL", "L1", "targeted", "2026-01-05 08:00:00"),  # a send, not a touch
            log("t2", "C_MAIL", "L1", "invalid_email", "2026-01-05 08:01:00"),  # never reached: not a touch
            log("t3", "C_ADS", "L1", "link", "2026-01-10 10:00:00"),  # L1's touch 1
            log("t4", "C_WEB", "L1", "viewed", "2026-01-15 10:00:00"),  # L1's touch 2
            log("t5", "C_WEB", "L1", "lead", "2026-01-20 09:00:00"),  # L1's touch 3, at the MQL
            log("t6", "C_MAIL", "L1", "viewed", "2026-02-03 12:00:00"),  # after the MQL: not counted
            log("t7", "C_WEB", "L2", "viewed", "2026-02-05 10:00:00"),  # L2's touch 1
            log("t8", "C_WEB", "L3", "viewed", "2026-02-27 10:00:00"),  # after L3's MQL
            log("t9", "C_MAIL", "L5", "viewed", "2026-02-10 10:00:00"),  # after L5's MQL
        ],
        "opportunities": [
            opportunity("O1", "2026-01-22 10:00:00", "2026-03-02 10:00:00", opp_type="New Business", amount="9000",
                        stage="Closed Won", account="acc_new"),
            # 10,000 EUR at the rate valid at its creation (02-14: 1.20) = 12,000 USD; open at SQL.
            opportunity("O2", "2026-02-14 10:00:00", "2026-02-20 10:00:00", opp_type="New Business", amount="10000",
                        stage="Qualification", account="acc_new", currency_id="EUR"),
            opportunity("O4", "2026-02-27 10:00:00", "2026-04-10 10:00:00", opp_type="New Business", amount="2000",
                        stage="Closed Won", account="acc_new"),
            # A farming deal with no lead, sourced by C_EVT.
            opportunity("O6", "2026-02-16 09:00:00", "2026-03-20 09:00:00", opp_type="Existing Business",
                        amount="5000", stage="Closed Won", account="acc_cust", campaign_id="C_EVT"),
        ],
        "opportunities_audit": [
            *moves("O1", ("2026-02-10 10:00:00", "Prospecting", "Qualification"),
                   ("2026-03-02 10:00:00", "Qualification", "Closed Won")),
            *moves("O2", ("2026-02-20 10:00:00", "Prospecting", "Qualification")),
            *moves("O4", ("2026-03-05 10:00:00", "Prospecting", "Qualification"),
                   ("2026-04-10 10:00:00", "Qualification", "Closed Won")),
            *moves("O6", ("2026-02-23 09:00:00", "Prospecting", "Qualification"),
                   ("2026-03-20 09:00:00", "Qualification", "Closed Won")),
        ],
        "currency_rates": [
            {"currency_id": "EUR", "date": "2026-01-01", "rate": "1.10"},
            {"currency_id": "EUR", "date": "2026-02-01", "rate": "1.20"},
        ],
        "marketing_spend": [
            spend("2026-01-05", "1000", "C_ADS", "Paid Search", "USD"),
            spend("2026-01-12", "600", "C_WEB", "Web", ""),  # no currency: the reporting currency
            spend("2026-01-19", "300", "C_MAIL", "Email", "USD"),
            spend("2026-01-01", "500", "", "Event", "EUR"),  # no campaign; x 1.10 = 550
            spend("2026-02-02", "1500", "C_ADS", "Paid Search", "USD"),
            spend("2026-02-09", "2000", "C_EVT", "Event", "EUR"),  # x 1.20 (valid from 02-01) = 2400
            spend("2026-02-01", "800", "", "SEO", "USD"),
            spend("2026-02-01", "100000", "", "Content", "JPY"),  # no JPY rate: unknown, never 1:1
        ],
    },
}

# The data ends with O4's win, 2026-04-10 10:00.
AS_OF = dt.date(2026, 4, 10)
HANDMADE_VARS = {"fiscal_year_start_month": 2, "cohort_maturity_days": 60}
# fiscal_year_start_month = 2: November-January is FY2025-Q4, February-April FY2026-Q1.
Q4, Q1 = "FY2025-Q4", "FY2026-Q1"

