"""The export contract is defined once: the dbt sources and the docs must match it."""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest.contract import FILE_KINDS, KINDS, STAGE_HISTORY_KINDS, VOCABULARIES, render_dbt_sources, render_docs_tables

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_every_file_kind_of_the_contract_is_defined():
    assert set(KINDS) == {
        "leads", "opportunities", "opportunities_audit", "opportunity_history", "accounts", "users", "calls", "meetings",
        "campaigns", "campaign_log", "mql_events", "marketing_spend", "currency_rates", "targets",
    }
    assert {k.name for k in FILE_KINDS if k.required} == {"leads", "opportunities", "users"}
    # The stage history is required too, from either kind (checked per run by the vocabulary step).
    assert set(STAGE_HISTORY_KINDS) == {"opportunities_audit", "opportunity_history"}


def test_dbt_sources_are_rendered_from_the_contract():
    on_disk = (REPO_ROOT / "dbt_project/models/staging/_sources.yml").read_text(encoding="utf-8")
    assert on_disk == render_dbt_sources(), "run `funnelcast contract --write` after changing ingest/contract.py"
    tables = yaml.safe_load(on_disk)["sources"][0]["tables"]
    assert {t["name"]: t["meta"]["dagster"]["asset_key"] for t in tables} == {k: ["raw", k] for k in KINDS}
    vocab_tables = yaml.safe_load(on_disk)["sources"][1]["tables"]
    assert {t["name"]: t["meta"]["dagster"]["asset_key"] for t in vocab_tables} == {
        v.name: ["vocabulary", v.name] for v in VOCABULARIES}


def test_docs_show_the_contract_tables():
    docs = (REPO_ROOT / "docs/exports.md").read_text(encoding="utf-8")
    assert render_docs_tables() in docs, "regenerate docs/exports.md's tables from ingest/contract.py"
