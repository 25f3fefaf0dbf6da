"""The campaign marts together (issue 6) on real DuckDB files, built by the real dbt.

* the hand-made marketing drop set (tests/drops/marketing.py): no lead's personal data;
* the generated small data set (`small_warehouse`), for the reconciliations at volume: per
  model, every MQL and won amount credited once; spend equal to the spend files' total,
  converted here in Python from the landing files themselves.

The marts' own cases are in test_fct_campaign_touches.py and test_mart_campaign_performance.py.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.warehouse import personal_data_in_marts, rows


MARKETING_MARTS = ["fct_campaign_touches", "mart_campaign_performance"]
MODELS = ("first_touch", "last_touch", "linear")


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


def test_no_personal_data_in_the_marketing_marts(marketing_handmade):
    con, _ = marketing_handmade
    assert personal_data_in(con, MARKETING_MARTS) == []


# ----------------------------------------------------------------------------- generated data


@pytest.mark.parametrize("level", ["campaign", "channel"])
def test_generated_every_won_amount_and_mql_is_credited_once_per_model(small_warehouse, level):
    con = small_warehouse
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


def test_generated_credits_add_up_to_the_funnel_cohorts(small_warehouse):
    con = small_warehouse
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
    row, each converted at the latest rate dated on or before its date and rounded to cents."""
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
            usd = amount
        else:
            valid = max(d for c, d in rates if c == currency and d <= date)  # a missing rate fails here
            usd = amount * rates[(currency, valid)]
        # Every reporting amount is in cents, half a cent away from zero (docs/marts.md).
        total += usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return total


def test_generated_spend_adds_up_to_the_spend_files(small_warehouse, small_landing):
    con, landing = small_warehouse, small_landing
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


def test_generated_touches_and_models(small_warehouse):
    con = small_warehouse
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


def test_generated_marketing_marts_hold_no_personal_data(small_warehouse):
    con = small_warehouse
    assert personal_data_in(con, MARKETING_MARTS) == []
