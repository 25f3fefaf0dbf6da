"""Campaign touches and campaign performance (issue 6) on real DuckDB files, built by the real dbt.

Two builds, one per module-scoped fixture:

* a hand-made drop set whose credits are worked out by hand below (each expected figure
  carries its arithmetic): the won lead L1 with three counted touches from two
  campaigns, plus what the rules need: an MQL event that repeats a logged touch, a
  sourcing campaign with no logged touch, an MQL event as the only touch, touches after
  the MQL, sends and bounces that are not touches, a lead no campaign touched, a
  farming deal sourced by a campaign, spend in EUR at two rates, spend with no
  campaign, and spend in a currency with no rate.  Built with fiscal_year_start_month
  = 2 and cohort_maturity_days = 60, so the marts must take both from the vars;
* the generated small data set, for the reconciliations at volume: per model, every
  MQL and won amount credited once; spend equal to the spend files' total, converted
  here in Python from the landing files themselves.

Both are scanned for leads' personal data in the marketing marts.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.warehouse import REPO_ROOT, dbt_build, load_landing, personal_data_in_marts, rows, warned, write_drop_set

BUILD_SELECTION = ["+path:models/marts/marketing"]
MARKETING_MARTS = ["fct_campaign_touches", "mart_campaign_performance"]
MODELS = ("first_touch", "last_touch", "linear")

D = dt.date
T = dt.datetime

# ----------------------------------------------------------------------------- the drop set


def lead(lead_id: str, created: str, modified: str, status: str, *, campaign: str = "", source: str = "",
         opportunity: str = "", first: str, last: str) -> dict[str, str]:
    return {
        "id": lead_id, "date_entered": created, "date_modified": modified, "status": status,
        "campaign_id": campaign, "lead_source": source, "assigned_user_id": "u_sdr",
        "converted": "1" if opportunity else "0", "opportunity_id": opportunity,
        # Personal data: must never reach a mart.
        "first_name": first, "last_name": last, "email1": f"{first}.{last}@example.org".lower(),
        "phone_work": f"+1 555 0{len(first)}{len(last)} {lead_id}", "account_name": f"{last} Industries",
    }


def opportunity(opp_id: str, created: str, modified: str, opp_type: str, amount: str, stage: str, account: str,
                *, currency: str = "", campaign: str = "") -> dict[str, str]:
    return {
        "id": opp_id, "name": f"{opp_id} deal", "date_entered": created, "date_modified": modified,
        "assigned_user_id": "u_ae", "account_id": account, "opportunity_type": opp_type, "amount": amount,
        "currency_id": currency, "campaign_id": campaign, "date_closed": modified[:10], "sales_stage": stage,
        "commit_stage": "include",
    }


def moves(opp_id: str, *steps: tuple[str, str, str]) -> list[dict[str, str]]:
    """Audit rows of stage changes: (when, from, to)."""
    return [
        {"id": f"{opp_id}-a{n}", "parent_id": opp_id, "date_created": when, "field_name": "sales_stage",
         "before_value_string": before, "after_value_string": after}
        for n, (when, before, after) in enumerate(steps, start=1)
    ]


def log(touch_id: str, campaign: str, lead_id: str, activity: str, when: str) -> dict[str, str]:
    return {"id": touch_id, "campaign_id": campaign, "target_type": "Leads", "target_id": lead_id,
            "activity_type": activity, "activity_date": when}


def spend(date: str, amount: str, campaign: str, channel: str, currency: str) -> dict[str, str]:
    return {"date": date, "spend": amount, "campaign_id": campaign, "channel": channel, "currency_id": currency}


HANDMADE = {
    "2026-04-13": {
        "users": [
            {"id": "u_ae", "user_name": "ae"},
            {"id": "u_sdr", "user_name": "sdr"},
        ],
        "accounts": [
            {"id": "acc_new", "name": "New Logo", "date_entered": "2026-01-01 00:00:00",
             "date_modified": "2026-01-01 00:00:00"},
            {"id": "acc_cust", "name": "Old Customer", "date_entered": "2020-01-01 00:00:00",
             "date_modified": "2020-01-01 00:00:00", "account_type": "Customer"},
        ],
        "campaigns": [
            {"id": "C_ADS", "name": "Google Ads - Brand", "campaign_type": "Paid Search", "currency_id": "USD"},
            {"id": "C_WEB", "name": "Webinar: Forecasting", "campaign_type": "Web", "currency_id": "USD"},
            {"id": "C_EVT", "name": "RevOps Summit EMEA", "campaign_type": "Event", "currency_id": "EUR"},
            {"id": "C_MAIL", "name": "Nurture: Pipeline", "campaign_type": "Email", "currency_id": "USD"},
        ],
        "leads": [
            # The won lead: MQL 01-20 09:00 (its mql event), converted into O1.
            lead("L1", "2026-01-20 09:05:00", "2026-01-22 10:00:00", "Converted", campaign="C_WEB",
                 source="Web Site", opportunity="O1", first="Ada", last="Lovelace"),
            # No mql event: an MQL at its creation.  Sourced by C_EVT, which logged no touch on it.
            lead("L2", "2026-02-12 10:00:00", "2026-02-14 10:00:00", "Converted", campaign="C_EVT",
                 source="Trade Show", opportunity="O2", first="Grace", last="Hopper"),
            # Its only touch before the MQL is the mql event naming C_ADS (its sourcing campaign too).
            lead("L3", "2026-02-20 09:10:00", "2026-02-20 09:10:00", "In Process", campaign="C_ADS",
                 source="Campaign", first="Alan", last="Turing"),
            # No campaign ever touched it: unattributed, and won.
            lead("L4", "2026-02-25 11:00:00", "2026-02-27 10:00:00", "Converted", source="Cold Call",
                 opportunity="O4", first="Edsger", last="Dijkstra"),
            # Touched only after its MQL: unattributed.
            lead("L5", "2026-01-25 15:05:00", "2026-01-30 15:00:00", "Dead", source="Web Site",
                 first="Barbara", last="Liskov"),
        ],
        "mql_events": [
            # Same campaign, same instant as L1's logged `lead` touch: one touch, not two.
            {"lead_id": "L1", "event_type": "mql", "event_at": "2026-01-20 09:00:00", "campaign_id": "C_WEB"},
            {"lead_id": "L3", "event_type": "mql", "event_at": "2026-02-20 09:00:00", "campaign_id": "C_ADS"},
            {"lead_id": "L5", "event_type": "mql", "event_at": "2026-01-25 15:00:00"},
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
            opportunity("O1", "2026-01-22 10:00:00", "2026-03-02 10:00:00", "New Business", "9000", "Closed Won",
                        "acc_new"),
            # 10,000 EUR at the rate valid at its creation (02-14: 1.20) = 12,000 USD; open at SQL.
            opportunity("O2", "2026-02-14 10:00:00", "2026-02-20 10:00:00", "New Business", "10000",
                        "Qualification", "acc_new", currency="EUR"),
            opportunity("O4", "2026-02-27 10:00:00", "2026-04-10 10:00:00", "New Business", "2000", "Closed Won",
                        "acc_new"),
            # A farming deal with no lead, sourced by C_EVT.
            opportunity("O6", "2026-02-16 09:00:00", "2026-03-20 09:00:00", "Existing Business", "5000",
                        "Closed Won", "acc_cust", campaign="C_EVT"),
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
AS_OF = D(2026, 4, 10)
HANDMADE_VARS = {"fiscal_year_start_month": 2, "cohort_maturity_days": 60}
# fiscal_year_start_month = 2: November-January is FY2025-Q4, February-April FY2026-Q1.
Q4, Q1 = "FY2025-Q4", "FY2026-Q1"


@pytest.fixture(scope="module")
def handmade(tmp_path_factory) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    work = tmp_path_factory.mktemp("marketing_handmade")
    write_drop_set(work / "landing", HANDMADE)
    db = work / "build.duckdb"
    load_landing(work / "landing", db)
    proc = dbt_build(db, work, select=BUILD_SELECTION, dbt_vars=HANDMADE_VARS)
    con = duckdb.connect(str(db), read_only=True)
    yield con, proc.stdout
    con.close()


FIGURES = ("touches", "mqls", "srls", "sqls", "won_deals", "qualified_pipeline_amount", "won_amount", "spend",
           "spend_rows_without_rate")
RATIOS = ("cost_per_mql", "cost_per_sql", "pipeline_per_spend", "bookings_per_spend")


def performance(con, level: str, model: str) -> dict[tuple[str, str], dict]:
    """(fiscal_quarter, campaign_id or channel) -> the row, for one level and model."""
    key = "campaign_id" if level == "campaign" else "channel"
    found = con.execute(
        f"select fiscal_quarter, {key}, * from marts.mart_campaign_performance "
        "where level = ? and attribution_model = ?",
        [level, model],
    )
    columns = [c[0] for c in found.description]
    return {(r[0], r[1]): dict(zip(columns[2:], r[2:])) for r in found.fetchall()}


def pick(row: dict, columns: tuple[str, ...]) -> tuple:
    return tuple(float(row[c]) if isinstance(row[c], Decimal) else row[c] for c in columns)


# ----------------------------------------------------------------------------- fct_campaign_touches


def test_touches_of_the_won_lead_and_what_is_not_a_touch(handmade):
    con, _ = handmade
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


def test_sourcing_campaign_and_mql_event_touches(handmade):
    con, _ = handmade
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


# ----------------------------------------------------------------------------- the three models, by hand
#
# Entries by the fiscal quarter they came into the funnel (their cohort):
#   FY2025-Q4: L1 (MQL 01-20; SRL, SQL, won 9000), L5 (MQL 01-25; nothing else).
#   FY2026-Q1: L2 (MQL 02-12; SRL, SQL, open at 12000), L3 (MQL 02-20), L4 (MQL 02-25; won 2000),
#              O6 (no lead: SRL 02-16; SQL, won 5000).
# Counted touches: L1 = C_ADS, C_WEB, C_WEB; L2 = C_WEB, C_EVT; L3 = C_ADS; O6 = C_EVT; L4, L5: none.
#
#   first_touch: L1 -> C_ADS, L2 -> C_WEB, L3 -> C_ADS, O6 -> C_EVT
#   last_touch:  L1 -> C_WEB, L2 -> C_EVT, L3 -> C_ADS, O6 -> C_EVT
#   linear:      L1 -> C_ADS 1/3, C_WEB 2/3; L2 -> C_WEB 1/2, C_EVT 1/2; L3 -> C_ADS 1; O6 -> C_EVT 1
#   L4 and L5 are unattributed in every model.
#
# Spend by quarter: FY2025-Q4: C_ADS 1000, C_WEB 600, C_MAIL 300, no campaign 500 EUR x 1.10 = 550
# (channel Event).  FY2026-Q1: C_ADS 1500, C_EVT 2000 EUR x 1.20 = 2400, no campaign: SEO 800 and
# Content 100000 JPY (no rate: the row's spend is unknown).
# Columns: touches, mqls, srls, sqls, won_deals, qualified_pipeline_amount, won_amount, spend,
# spend_rows_without_rate.

EXPECTED_CAMPAIGNS = {
    "first_touch": {
        (Q4, "C_ADS"): (1, 1, 1, 1, 1, 9000, 9000, 1000, 0),  # all of L1
        (Q4, "C_WEB"): (2, 0, 0, 0, 0, 0, 0, 600, 0),  # two touches on L1, neither first
        (Q4, "C_MAIL"): (0, 0, 0, 0, 0, 0, 0, 300, 0),  # only a touch after the MQL: spend alone
        (Q4, "unattributed"): (0, 1, 0, 0, 0, 0, 0, 550, 0),  # L5; the spend booked to no campaign
        (Q1, "C_ADS"): (1, 1, 0, 0, 0, 0, 0, 1500, 0),  # L3
        (Q1, "C_WEB"): (1, 1, 1, 1, 0, 12000, 0, 0, 0),  # L2, open; no spend in the quarter
        (Q1, "C_EVT"): (2, 0, 1, 1, 1, 5000, 5000, 2400, 0),  # O6 (no MQL: a deal with no lead)
        (Q1, "unattributed"): (0, 1, 1, 1, 1, 2000, 2000, None, 1),  # L4; SEO 800 + JPY unknown = unknown
    },
    "last_touch": {
        (Q4, "C_ADS"): (1, 0, 0, 0, 0, 0, 0, 1000, 0),
        (Q4, "C_WEB"): (2, 1, 1, 1, 1, 9000, 9000, 600, 0),  # all of L1 (t5, at its MQL)
        (Q4, "C_MAIL"): (0, 0, 0, 0, 0, 0, 0, 300, 0),
        (Q4, "unattributed"): (0, 1, 0, 0, 0, 0, 0, 550, 0),
        (Q1, "C_ADS"): (1, 1, 0, 0, 0, 0, 0, 1500, 0),
        (Q1, "C_WEB"): (1, 0, 0, 0, 0, 0, 0, 0, 0),
        # L2 (MQL, SRL, SQL, 12000 open) + O6 (SRL, SQL, won 5000): pipeline 12000 + 5000 = 17000.
        (Q1, "C_EVT"): (2, 1, 2, 2, 1, 17000, 5000, 2400, 0),
        (Q1, "unattributed"): (0, 1, 1, 1, 1, 2000, 2000, None, 1),
    },
    "linear": {
        # L1 x 1/3: 9000 / 3 = 3000.
        (Q4, "C_ADS"): (1, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 3000, 3000, 1000, 0),
        # L1 x 2/3: 9000 x 2 / 3 = 6000.
        (Q4, "C_WEB"): (2, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 6000, 6000, 600, 0),
        (Q4, "C_MAIL"): (0, 0, 0, 0, 0, 0, 0, 300, 0),
        (Q4, "unattributed"): (0, 1, 0, 0, 0, 0, 0, 550, 0),
        (Q1, "C_ADS"): (1, 1, 0, 0, 0, 0, 0, 1500, 0),
        # L2 x 1/2: 12000 / 2 = 6000 of pipeline.
        (Q1, "C_WEB"): (1, 0.5, 0.5, 0.5, 0, 6000, 0, 0, 0),
        # L2 x 1/2 + O6 x 1: MQL 0.5, SRL and SQL 0.5 + 1 = 1.5, pipeline 6000 + 5000 = 11000, won 5000.
        (Q1, "C_EVT"): (2, 0.5, 1.5, 1.5, 1, 11000, 5000, 2400, 0),
        (Q1, "unattributed"): (0, 1, 1, 1, 1, 2000, 2000, None, 1),
    },
}


@pytest.mark.parametrize("model", MODELS)
def test_campaign_credits_worked_out_by_hand(handmade, model):
    con, _ = handmade
    got = {key: pick(row, FIGURES) for key, row in performance(con, "campaign", model).items()}
    assert got == {key: pytest.approx(figures) for key, figures in EXPECTED_CAMPAIGNS[model].items()}


def test_every_model_credits_each_mql_and_won_amount_once(handmade):
    con, _ = handmade
    # MQLs: L1, L5 in FY2025-Q4; L2, L3, L4 in FY2026-Q1.  Won: 9000 (Q4); 2000 + 5000 = 7000 (Q1).
    for model in MODELS:
        got = rows(
            con,
            "select level, fiscal_quarter, sum(mqls), sum(won_deals), sum(won_amount) "
            "from marts.mart_campaign_performance where attribution_model = ? group by all order by all",
            [model],
        )
        assert got == [
            ("campaign", Q4, pytest.approx(2), pytest.approx(1), pytest.approx(9000)),
            ("campaign", Q1, pytest.approx(3), pytest.approx(2), pytest.approx(7000)),
            ("channel", Q4, pytest.approx(2), pytest.approx(1), pytest.approx(9000)),
            ("channel", Q1, pytest.approx(3), pytest.approx(2), pytest.approx(7000)),
        ], model


def test_costs_and_returns(handmade):
    con, _ = handmade
    linear = performance(con, "campaign", "linear")
    assert pick(linear[(Q4, "C_ADS")], RATIOS) == pytest.approx((
        3000,  # 1000 / (1/3 MQL)
        3000,  # 1000 / (1/3 SQL)
        3.0,  # 3000 of pipeline / 1000
        3.0,  # 3000 of bookings / 1000
    ))
    assert pick(linear[(Q4, "C_WEB")], RATIOS) == pytest.approx((900, 900, 10.0, 10.0))  # 600 / (2/3); 6000 / 600
    # L2's half + O6: 2400 / 0.5 MQL = 4800; 2400 / 1.5 SQL = 1600; 11000 / 2400; 5000 / 2400.
    assert pick(linear[(Q1, "C_EVT")], RATIOS) == pytest.approx((4800, 1600, 11000 / 2400, 5000 / 2400))
    # No MQL, no SQL: no cost per MQL or SQL (not a division by zero); no return on 300 is 0.
    assert pick(linear[(Q4, "C_MAIL")], RATIOS) == (None, None, 0.0, 0.0)
    # The unattributed spend of FY2026-Q1 is unknown (a JPY row has no rate): no ratio at all.
    assert pick(linear[(Q1, "unattributed")], RATIOS) == (None, None, None, None)
    first = performance(con, "campaign", "first_touch")
    # C_WEB spent nothing in FY2026-Q1: its MQL cost 0 / 1 = 0, and per unit of no spend there is no figure.
    assert pick(first[(Q1, "C_WEB")], RATIOS) == (0.0, 0.0, None, None)
    # O6 has no MQL: 2400 / 0 MQLs is null; 2400 / 1 SQL; 5000 / 2400 twice.
    assert pick(first[(Q1, "C_EVT")], RATIOS) == pytest.approx((None, 2400, 5000 / 2400, 5000 / 2400))
    last = performance(con, "campaign", "last_touch")
    assert pick(last[(Q1, "C_EVT")], RATIOS) == pytest.approx((2400, 1200, 17000 / 2400, 5000 / 2400))


def test_channels(handmade):
    con, _ = handmade
    linear = {key: pick(row, FIGURES) for key, row in performance(con, "channel", "linear").items()}
    assert linear == {
        (Q4, "Paid Search"): pytest.approx((1, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 3000, 3000, 1000, 0)),
        (Q4, "Web"): pytest.approx((2, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 6000, 6000, 600, 0)),
        (Q4, "Email"): (0, 0, 0, 0, 0, 0, 0, 300, 0),
        # 500 EUR with no campaign, booked to the Event channel: 500 x 1.10 = 550.
        (Q4, "Event"): (0, 0, 0, 0, 0, 0, 0, 550, 0),
        (Q4, "unattributed"): (0, 1, 0, 0, 0, 0, 0, 0, 0),  # L5; no spend lacks both campaign and channel
        (Q1, "Paid Search"): (1, 1, 0, 0, 0, 0, 0, 1500, 0),
        (Q1, "Web"): (1, 0.5, 0.5, 0.5, 0, 6000, 0, 0, 0),
        (Q1, "Event"): (2, 0.5, 1.5, 1.5, 1, 11000, 5000, 2400, 0),
        (Q1, "SEO"): (0, 0, 0, 0, 0, 0, 0, 800, 0),
        (Q1, "Content"): (0, 0, 0, 0, 0, 0, 0, None, 1),  # the JPY row
        (Q1, "unattributed"): (0, 1, 1, 1, 1, 2000, 2000, 0, 0),  # L4
    }
    # Channel rows carry no campaign.
    assert rows(con, "select distinct campaign_id, campaign_name from marts.mart_campaign_performance "
                     "where level = 'channel'") == [("all", None)]


def test_row_labels_quarters_and_maturity(handmade):
    con, _ = handmade
    got = rows(
        con,
        "select distinct campaign_id, campaign_name, channel from marts.mart_campaign_performance "
        "where level = 'campaign' order by 1",
    )
    assert got == [
        ("C_ADS", "Google Ads - Brand", "Paid Search"),
        ("C_EVT", "RevOps Summit EMEA", "Event"),
        ("C_MAIL", "Nurture: Pipeline", "Email"),
        ("C_WEB", "Webinar: Forecasting", "Web"),
        # A legend or a table that lists campaigns by name shows what the row is.
        ("unattributed", "Unattributed (no campaign touch)", "unattributed"),
    ]
    # FY2025-Q4 ends 01-31; 2026-04-10 is 28 + 31 + 10 = 69 days later: mature with a 60-day window.
    # FY2026-Q1 (02-01 to 04-30) runs past the data: age 0.
    assert rows(
        con,
        "select distinct fiscal_quarter, fiscal_quarter_start, fiscal_quarter_end, as_of_date, is_period_complete, "
        "cohort_age_days, is_mature from marts.mart_campaign_performance order by 1",
    ) == [
        (Q4, D(2025, 11, 1), D(2026, 1, 31), AS_OF, True, 69, True),
        (Q1, D(2026, 2, 1), D(2026, 4, 30), AS_OF, False, 0, False),
    ]
    # 4 campaign rows and 5 (FY2025-Q4) + 6 (FY2026-Q1) channel rows per quarter... in each of 3 models.
    assert rows(con, "select count(*) from marts.mart_campaign_performance")[0][0] == (4 + 4 + 5 + 6) * 3


def test_spend_in_a_currency_with_no_rate_is_reported_not_dropped(handmade):
    con, output = handmade
    assert warned(output, "assert_marketing_spend_has_a_rate") == 1
    assert rows(
        con,
        "select currency_id, spend, spend_conversion, spend_reporting from intermediate.int_marketing_spend_converted "
        "where spend_conversion <> 'reporting_currency' order by period_start_date",
    ) == [
        ("EUR", Decimal(500), "currency_rate", Decimal(550)),  # 2026-01-01: rate 1.10
        ("JPY", Decimal(100000), "no_rate", None),
        ("EUR", Decimal(2000), "currency_rate", Decimal(2400)),  # 2026-02-09: rate 1.20 since 02-01
    ]


def test_the_readme_query_runs(handmade):
    con, _ = handmade
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Which campaigns bring pipeline that closes, at what cost", 1)[1]
    query = section.split("```sql", 1)[1].split("```", 1)[0]
    got = con.execute(query).fetchall()
    # The mature quarter only, FY2025-Q4, linear: C_WEB (6000 / 600 = 10 per unit of spend), C_ADS
    # (3000 / 1000 = 3), then C_MAIL and unattributed (nothing won: 0).
    assert [r[:2] for r in got[:2]] == [(Q4, "Webinar: Forecasting"), (Q4, "Google Ads - Brand")]
    assert {r[:2] for r in got[2:]} == {(Q4, "Nurture: Pipeline"), (Q4, "Unattributed (no campaign touch)")}


def test_without_the_marketing_files_the_sourcing_campaigns_still_count_and_spend_is_unknown(tmp_path):
    """The marketing files are optional: the marts build, credit the CRM's sourcing campaigns and say
    that the spend is unknown (null), not zero."""
    day = next(iter(HANDMADE))
    crm_only = {day: {kind: found for kind, found in HANDMADE[day].items()
                      if kind not in ("campaigns", "campaign_log", "marketing_spend", "currency_rates", "mql_events")}}
    write_drop_set(tmp_path / "landing", crm_only)
    db = tmp_path / "build.duckdb"
    load_landing(tmp_path / "landing", db)
    dbt_build(db, tmp_path, select=BUILD_SELECTION, dbt_vars=HANDMADE_VARS)
    with duckdb.connect(str(db), read_only=True) as con:
        # Touches now: the sourcing campaigns of L1 (C_WEB), L2 (C_EVT), L3 (C_ADS) and O6 (C_EVT) only,
        # at the entries' MQL (L1 and L3 without their mql events: their creation) or creation.
        assert rows(con, "select entry_id, campaign_id, touch_type, channel from marts.fct_campaign_touches "
                         "order by 1") == [("lead:L1", "C_WEB", "sourced", None), ("lead:L2", "C_EVT", "sourced", None),
                                           ("lead:L3", "C_ADS", "sourced", None),
                                           ("opportunity:O6", "C_EVT", "sourced", None)]
        got = rows(con, "select campaign_id, channel, fiscal_quarter, mqls, won_amount, spend, cost_per_mql "
                        "from marts.mart_campaign_performance where attribution_model = 'linear' "
                        "and level = 'campaign' order by 3, 1")
        # O2 is in EUR with no rates file: its amount is unknown (L2's pipeline), O1, O4, O6 are in USD.
        assert got == [
            ("C_WEB", "(not set)", Q4, 1.0, 9000.0, None, None),  # L1; no campaigns file: no channel
            ("unattributed", "unattributed", Q4, 1.0, 0.0, None, None),  # L5
            ("C_ADS", "(not set)", Q1, 1.0, 0.0, None, None),  # L3
            ("C_EVT", "(not set)", Q1, 1.0, 5000.0, None, None),  # L2 + O6
            ("unattributed", "unattributed", Q1, 1.0, 2000.0, None, None),  # L4
        ]


# ----------------------------------------------------------------------------- personal data


def personal_data_in(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[tuple]:
    """Lead personal data in these marts' values (tests.warehouse), and every column named like one."""
    found = personal_data_in_marts(con, tables)
    for table in tables:
        columns = [c for (c,) in rows(con, "select column_name from information_schema.columns "
                                           "where table_schema = 'marts' and table_name = ?", [table])]
        found += [(table, c, "column name") for c in columns
                  if any(word in c for word in ("first_name", "last_name", "email", "phone"))]
    return found


def test_no_personal_data_in_the_marketing_marts(handmade):
    con, _ = handmade
    assert personal_data_in(con, MARKETING_MARTS) == []


# ----------------------------------------------------------------------------- generated data


@pytest.fixture(scope="module")
def generated(request, tmp_path_factory) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    landing = request.getfixturevalue("small_landing")
    work = tmp_path_factory.mktemp("marketing_generated")
    db = work / "build.duckdb"
    load_landing(landing, db, must_load=["leads", "opportunities", "opportunities_audit", "users", "mql_events",
                                         "campaigns", "campaign_log", "marketing_spend", "currency_rates"])
    # The funnel marts too, to check that the credits add up to their cohorts.
    dbt_build(db, work, select=[*BUILD_SELECTION, "+path:models/marts/funnel"])
    con = duckdb.connect(str(db), read_only=True)
    yield con, landing
    con.close()


@pytest.mark.parametrize("level", ["campaign", "channel"])
def test_generated_every_won_amount_and_mql_is_credited_once_per_model(generated, level):
    con, _ = generated
    mqls, won, won_amount = rows(
        con,
        "select count(mql_at), count(won_at), sum(case when won_at is not null then amount_reporting end) "
        "from marts.fct_funnel",
    )[0]
    assert mqls > 100 and won > 10
    got = rows(
        con,
        """
        select attribution_model,
               sum(mqls) filter (where channel <> 'unattributed'), sum(mqls) filter (where channel = 'unattributed'),
               sum(won_deals), sum(won_amount) filter (where channel <> 'unattributed'),
               sum(won_amount) filter (where channel = 'unattributed')
        from marts.mart_campaign_performance where level = ? group by all order by 1
        """,
        [level],
    )
    assert [r[0] for r in got] == list(MODELS)
    for model, attributed_mqls, unattributed_mqls, won_deals, attributed_won, unattributed_won in got:
        assert attributed_mqls > 0 and unattributed_mqls > 0 and attributed_won > 0, model
        # Credits are exact decimals: the counts add up exactly, even the linear model's fractions.
        assert attributed_mqls + unattributed_mqls == mqls, model
        assert won_deals == won, model
        # Each credited amount is rounded to 12 decimals.
        assert attributed_won + unattributed_won == pytest.approx(won_amount, abs=Decimal("1e-6")), model


def test_generated_credits_add_up_to_the_funnel_cohorts(generated):
    con, _ = generated
    # The funnel mart's cohort rows per fiscal quarter (all motions, all sources) are the same entries.
    differences = rows(
        con,
        """
        with credited as (
            select attribution_model, level, fiscal_quarter_start, sum(mqls) as mqls, sum(srls) as srls,
                   sum(sqls) as sqls, sum(won_deals) as won, sum(won_amount) as won_amount
            from marts.mart_campaign_performance group by all
        ),
        cohort as (
            select period_start, mqls, srls, sqls, won, won_amount from marts.mart_funnel_conversion
            where period_grain = 'fiscal_quarter' and method = 'cohort' and motion = 'all' and lead_source = 'all'
              and entries > 0
        )
        select credited.*, cohort.mqls, cohort.srls, cohort.sqls, cohort.won, cohort.won_amount
        from credited
        full join cohort on cohort.period_start = credited.fiscal_quarter_start
        """,
    )
    assert len(differences) >= 3 * 2 * 4  # 3 models x 2 levels x at least 4 quarters
    for row in differences:
        model, level, quarter = row[:3]
        credited, cohort = row[3:8], row[8:]
        assert credited[:4] == cohort[:4], (model, level, quarter)  # exact: MQLs, SRLs, SQLs, won
        assert credited[4] == pytest.approx(cohort[4], abs=Decimal("1e-6")), (model, level, quarter)


def spend_files_total(landing: Path) -> Decimal:
    """The spend files' total in USD, straight from the landing CSVs: the latest drop's copy of each
    row, each converted at the latest rate dated on or before its date."""
    spend: dict[tuple, tuple[str, Decimal]] = {}
    rates: dict[tuple[str, str], Decimal] = {}
    for drop in sorted(p for p in landing.iterdir() if p.is_dir()):
        if (drop / "marketing_spend.csv").exists():
            with (drop / "marketing_spend.csv").open(encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    key = (r["date"], r["campaign_id"], r["channel"], r["currency_id"].upper())
                    spend[key] = (r["currency_id"].upper(), Decimal(r["spend"]))
        if (drop / "currency_rates.csv").exists():
            with (drop / "currency_rates.csv").open(encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    rates[(r["currency_id"].upper(), r["date"])] = Decimal(r["rate"])
    total = Decimal(0)
    for (date, *_), (currency, amount) in spend.items():
        if currency in ("", "USD"):
            total += amount
        else:
            valid = max(d for c, d in rates if c == currency and d <= date)  # a missing rate fails here
            total += amount * rates[(currency, valid)]
    return total


def test_generated_spend_adds_up_to_the_spend_files(generated):
    con, landing = generated
    expected = spend_files_total(landing)
    eur = rows(con, "select count(*) from intermediate.int_marketing_spend_converted where currency_id = 'EUR'")
    assert eur[0][0] > 0  # so the total proves the conversion, not only the sum
    got = rows(
        con,
        "select attribution_model, level, sum(spend), sum(spend_rows_without_rate), count(*) filter (where spend is null) "
        "from marts.mart_campaign_performance group by all order by all",
    )
    assert [(r[0], r[1]) for r in got] == [(m, lv) for m in MODELS for lv in ("campaign", "channel")]
    for model, level, total, without_rate, unknown in got:
        assert (without_rate, unknown) == (0, 0), (model, level)
        assert total == pytest.approx(expected, abs=Decimal("0.000001")), (model, level)


def test_generated_touches_and_models(generated):
    con, _ = generated
    # Every entry with a counted touch has exactly one first and one last touch, and its weights add up to 1.
    assert rows(
        con,
        """
        select count(*) from (
            select entry_id, sum(case when is_first_touch then 1 else 0 end) as firsts,
                   sum(case when is_last_touch_before_mql then 1 else 0 end) as lasts, sum(linear_weight) as weight
            from marts.fct_campaign_touches group by entry_id having max(counted_touches) > 0
        ) where firsts <> 1 or lasts <> 1 or abs(weight - 1) > 1e-9
        """,
    ) == [(0,)]
    # The models disagree where they should: some campaign's MQLs differ between first and last touch,
    # and the linear model splits some entries.
    assert rows(
        con,
        """
        select count(*) from marts.mart_campaign_performance f
        join marts.mart_campaign_performance l using (level, campaign_id, channel, fiscal_quarter)
        where f.attribution_model = 'first_touch' and l.attribution_model = 'last_touch' and f.mqls <> l.mqls
        """,
    )[0][0] > 0
    assert rows(con, "select count(*) from marts.mart_campaign_performance "
                     "where attribution_model = 'linear' and mqls <> round(mqls)")[0][0] > 0


def test_generated_marketing_marts_hold_no_personal_data(generated):
    con, _ = generated
    assert personal_data_in(con, MARKETING_MARTS) == []
