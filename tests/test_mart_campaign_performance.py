"""mart_campaign_performance (issue 6): the three attribution models' credits, costs and
returns per campaign and channel.

Built once per session from the hand-made marketing drop set (tests/drops/marketing.py: each
expected credit carries its arithmetic), with fiscal_year_start_month = 2 and
cohort_maturity_days = 60.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from tests.drops.marketing import AS_OF, BUILD_SELECTION, HANDMADE, HANDMADE_VARS, Q1, Q4
from tests.warehouse import build_warehouse, readme_query, rows, warned


MARKETING_MARTS = ["fct_campaign_touches", "mart_campaign_performance"]
MODELS = ("first_touch", "last_touch", "linear")


D = dt.date


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
def test_campaign_credits_worked_out_by_hand(marketing_handmade, model):
    con, _ = marketing_handmade
    got = {key: pick(row, FIGURES) for key, row in performance(con, "campaign", model).items()}
    assert got == {key: pytest.approx(figures) for key, figures in EXPECTED_CAMPAIGNS[model].items()}


def test_every_model_credits_each_mql_and_won_amount_once(marketing_handmade):
    con, _ = marketing_handmade
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


def test_costs_and_returns(marketing_handmade):
    con, _ = marketing_handmade
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


def test_channels(marketing_handmade):
    con, _ = marketing_handmade
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


def test_row_labels_quarters_and_maturity(marketing_handmade):
    con, _ = marketing_handmade
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


def test_spend_in_a_currency_with_no_rate_is_reported_not_dropped(marketing_handmade):
    con, output = marketing_handmade
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


def test_the_readme_query_runs(marketing_handmade):
    con, _ = marketing_handmade
    query = readme_query("## Which campaigns bring pipeline that closes, at what cost")
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
    db, _ = build_warehouse(tmp_path, crm_only, select=BUILD_SELECTION, dbt_vars=HANDMADE_VARS)
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
