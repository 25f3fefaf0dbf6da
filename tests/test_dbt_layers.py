"""The dbt layers read one way (docs/models.md): checked over the manifest of a fresh `dbt parse`.

- staging models read only sources and seeds (one model per exported entity, no logic across them);
- intermediate models read no mart (marts are the end of the line, never an input to shared logic);
- marts are named fct_ (facts), dim_ (dimensions) or mart_ (reporting marts).

Each rule is a function of a manifest, so that the unit tests below can show it fails on a
hand-made violation; the tests over the real manifest then say the tree keeps to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.warehouse import run_dbt

Manifest = dict[str, Any]

MART_PREFIXES = ("fct_", "dim_", "mart_")


def layer(node: dict[str, Any]) -> str | None:
    """The layer of a model: the first folder of its path under models/ (staging, intermediate, marts)."""
    if node.get("resource_type") != "model":
        return None
    return Path(node["path"]).parts[0]


def models(manifest: Manifest, in_layer: str) -> list[dict[str, Any]]:
    return [node for node in manifest["nodes"].values() if layer(node) == in_layer]


def staging_reading_more_than_sources(manifest: Manifest) -> list[tuple[str, str]]:
    """(staging model, what it reads) for every input of a staging model that is not a source or a seed."""
    return [
        (node["name"], parent)
        for node in models(manifest, "staging")
        for parent in node["depends_on"]["nodes"]
        if not parent.startswith(("source.", "seed."))
    ]


def intermediate_reading_marts(manifest: Manifest) -> list[tuple[str, str]]:
    """(intermediate model, mart) for every mart an intermediate model reads."""
    nodes = manifest["nodes"]
    return [
        (node["name"], parent)
        for node in models(manifest, "intermediate")
        for parent in node["depends_on"]["nodes"]
        if parent in nodes and layer(nodes[parent]) == "marts"
    ]


def marts_misnamed(manifest: Manifest) -> list[str]:
    """Marts whose name has none of the mart prefixes."""
    return sorted(node["name"] for node in models(manifest, "marts") if not node["name"].startswith(MART_PREFIXES))


# --- the rules themselves, on hand-made manifest fragments -----------------------------------


def model(name: str, path: str, *reads: str) -> tuple[str, dict[str, Any]]:
    return f"model.funnelcast.{name}", {
        "resource_type": "model", "name": name, "path": path, "depends_on": {"nodes": list(reads)},
    }


def fragment(*nodes: tuple[str, dict[str, Any]]) -> Manifest:
    return {"nodes": dict(nodes)}


def test_staging_rule_flags_a_staging_model_reading_another_model():
    manifest = fragment(
        model("stg_crm__accounts", "staging/crm/stg_crm__accounts.sql", "source.funnelcast.raw.accounts"),
        model("stg_crm__deals", "staging/crm/stg_crm__deals.sql",
              "source.funnelcast.raw.deals", "seed.funnelcast.stage_map", "model.funnelcast.stg_crm__accounts"),
    )
    assert staging_reading_more_than_sources(manifest) == [("stg_crm__deals", "model.funnelcast.stg_crm__accounts")]


def test_intermediate_rule_flags_an_intermediate_model_reading_a_mart():
    manifest = fragment(
        model("stg_crm__deals", "staging/crm/stg_crm__deals.sql", "source.funnelcast.raw.deals"),
        model("dim_calendar", "marts/dim_calendar.sql", "model.funnelcast.stg_crm__deals"),
        model("int_weeks", "intermediate/int_weeks.sql", "model.funnelcast.dim_calendar", "model.funnelcast.stg_crm__deals"),
    )
    assert intermediate_reading_marts(manifest) == [("int_weeks", "model.funnelcast.dim_calendar")]


def test_mart_naming_rule_flags_a_mart_without_a_prefix():
    manifest = fragment(
        model("fct_deals", "marts/fct_deals.sql"),
        model("dim_calendar", "marts/dim_calendar.sql"),
        model("mart_pipeline", "marts/pipeline/mart_pipeline.sql"),
        model("pipeline_summary", "marts/pipeline/pipeline_summary.sql"),
        model("int_weeks", "intermediate/int_weeks.sql"),
    )
    assert marts_misnamed(manifest) == ["pipeline_summary"]


# --- the real project ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Manifest:
    """The manifest of a fresh `dbt parse` of the tree as it is, in a temporary target path."""
    work = tmp_path_factory.mktemp("dbt_parse")
    proc = run_dbt("parse", work / "parse.duckdb", work, timeout=600)
    assert proc.returncode == 0, f"dbt parse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return json.loads((work / "target" / "manifest.json").read_text())


def test_the_project_has_every_layer(manifest):
    assert {layer(node) for node in manifest["nodes"].values()} - {None} == {"staging", "intermediate", "marts"}


def test_staging_reads_only_sources_and_seeds(manifest):
    assert staging_reading_more_than_sources(manifest) == []


def test_intermediate_reads_no_mart(manifest):
    assert intermediate_reading_marts(manifest) == []


def test_marts_are_named_fct_dim_or_mart(manifest):
    assert marts_misnamed(manifest) == []


def never_null_docs_and_tests_disagree(manifest: Manifest) -> list[str]:
    """`model.column` where a column's description says "Never null" and no error-severity
    not-null test covers it (its model's not_null_columns, or a plain not_null), or the other way round."""
    tested = set()
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node.get("resource_type") != "test" or node["config"]["severity"].lower() != "error":
            continue
        model_name = (node.get("attached_node") or "").split(".")[-1]
        if meta.get("name") == "not_null_columns":
            tested |= {f"{model_name}.{c}" for c in meta["kwargs"]["column_names"]}
        elif meta.get("name") == "not_null":
            tested.add(f"{model_name}.{meta['kwargs']['column_name']}")
    described = {f"{node['name']}.{column}" for node in manifest["nodes"].values() if node.get("resource_type") == "model"
                 for column, props in node["columns"].items() if "never null" in (props.get("description") or "").lower()}
    return sorted(tested ^ described)


def test_every_never_null_column_is_tested_and_described(manifest):
    assert never_null_docs_and_tests_disagree(manifest) == []


def test_never_null_rule_flags_an_untested_column_and_an_undescribed_one():
    leads = {"resource_type": "model", "name": "stg_leads", "path": "staging/stg_leads.sql",
             "columns": {"lead_id": {"description": "Lead key. Never null."},
                         "created_at": {"description": "When it was created. Never null."},
                         "status": {"description": "Its status."}}}
    check = {"resource_type": "test", "attached_node": "model.funnelcast.stg_leads", "config": {"severity": "ERROR"},
             "test_metadata": {"name": "not_null_columns", "kwargs": {"column_names": ["lead_id", "status"]}}}
    manifest = {"nodes": {"model.funnelcast.stg_leads": leads, "test.funnelcast.not_null_columns_stg_leads": check}}
    assert never_null_docs_and_tests_disagree(manifest) == ["stg_leads.created_at", "stg_leads.status"]
