"""Real data in by configuration only: Olist's published marketing funnel, read with a
mapping file (tests/mappings/olist/), no code.  Every figure is checked against a count
taken straight from the two CSVs, independently of the loader and the models.

The data set is not in the repository (its licence forbids copying it); it sits beside
the checkout in shared/datasets/, where CI puts it.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from ingest.mapping import load_mapping
from ingest.vocabularies import unknown_values
from tests.warehouse import REPO_ROOT, dbt_build, load_landing, rows

DATASET = REPO_ROOT.parent / "shared" / "datasets" / "olist_marketing_funnel"
MQL_FILE = "olist_marketing_qualified_leads_dataset.csv"
DEALS_FILE = "olist_closed_deals_dataset.csv"
MAPPING = REPO_ROOT / "tests" / "mappings" / "olist" / "mapping.yaml"

pytestmark = pytest.mark.skipif(not (DATASET / MQL_FILE).exists(), reason=f"the Olist data set is not at {DATASET}")


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATASET / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def olist(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("olist")
    drop = work / "landing" / "2018-11-15"
    drop.mkdir(parents=True)
    for name in (MQL_FILE, DEALS_FILE):
        shutil.copyfile(DATASET / name, drop / name)
    db = work / "build.duckdb"
    load_landing(work / "landing", db, must_load=["leads", "opportunities", "opportunity_history", "users"],
                 mapping=load_mapping(MAPPING))
    with duckdb.connect(str(db)) as con:
        assert unknown_values(con) == []
    dbt_build(db, work, select=["+path:models/marts/funnel"])
    return db


def test_every_row_of_both_files_is_read_and_accounted_for(olist):
    mqls, deals = read_csv(MQL_FILE), read_csv(DEALS_FILE)
    with duckdb.connect(str(olist), read_only=True) as con:
        log = {(f, k): (read, loaded, rejected) for f, k, read, loaded, rejected in rows(
            con, "select file_name, kind, rows_read, rows_loaded, rows_rejected from raw.load_log")}
    assert log[(MQL_FILE, "leads")] == (len(mqls), len(mqls), 0)
    for kind in ("opportunities", "opportunity_history", "users"):
        assert log[(DEALS_FILE, kind)] == (len(deals), len(deals), 0), kind


def test_mqls_by_origin_and_month_equal_the_csv(olist):
    expected = Counter((r["origin"] or None, r["first_contact_date"][:7]) for r in read_csv(MQL_FILE))
    with duckdb.connect(str(olist), read_only=True) as con:
        got = {(src, month): n for src, month, n in rows(
            con, "select lead_source, strftime(mql_at, '%Y-%m'), count(*) from marts.fct_funnel "
                 "where entry_milestone = 'mql' group by all")}
    assert sum(expected.values()) == 8000
    assert got == dict(expected)


def test_closed_deals_by_sdr_and_by_salesperson_equal_the_csv(olist):
    deals = read_csv(DEALS_FILE)
    with duckdb.connect(str(olist), read_only=True) as con:
        by_sdr = dict(rows(con, "select sdr_user_id, count(*) from marts.fct_funnel where won_at is not null group by 1"))
        by_rep = dict(rows(con, "select owner_user_id, count(*) from marts.fct_funnel where won_at is not null group by 1"))
    assert by_sdr == dict(Counter(d["sdr_id"] for d in deals))
    assert by_rep == dict(Counter(d["sr_id"] for d in deals))
    assert sum(by_rep.values()) == 842


def test_mql_to_won_conversion_by_cohort_month_equals_the_csv(olist):
    mqls = read_csv(MQL_FILE)
    won = {d["mql_id"] for d in read_csv(DEALS_FILE)}
    cohort = Counter(r["first_contact_date"][:7] for r in mqls)
    cohort_won = Counter(r["first_contact_date"][:7] for r in mqls if r["mql_id"] in won)
    with duckdb.connect(str(olist), read_only=True) as con:
        got = {label: (mqls_, won_) for label, mqls_, won_ in rows(
            con, "select strftime(period_start, '%Y-%m'), mqls, won from marts.mart_funnel_conversion "
                 "where period_grain = 'month' and method = 'cohort' and motion = 'all' and lead_source = 'all' "
                 "and mqls > 0")}
    assert got == {m: (cohort[m], cohort_won[m]) for m in cohort}
    # The headline: 842 of 8,000 MQLs won, 10.5%.
    assert sum(w for _, w in got.values()) / sum(m for m, _ in got.values()) == pytest.approx(842 / 8000)


def test_the_history_is_marked_derived(olist):
    # Olist published no stage history: what the warehouse knows of it is derived from the won date.
    with duckdb.connect(str(olist), read_only=True) as con:
        history = rows(con, "select history_source, count(distinct opportunity_id) "
                            "from intermediate.int_opportunity_stage_visits group by 1")
    assert history == [("derived", 842)]
