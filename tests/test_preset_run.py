"""`funnelcast run` reads a Salesforce, a HubSpot and a Zoho export with `source:` set
and nothing else: the real CLI, the real Dagster run, the published file.  The
figures checked are counted from the vendor files written by tests/crm_exports.py."""

from __future__ import annotations

import duckdb
import pytest

from tests import crm_exports as ex
from tests.conftest import run_funnelcast, write_settings

DROP = "2026-02-22"
# Per vendor: the export writer, the rows of its deal file, the column of the stage,
# and the stage names that mean won and lost in the vendor's default stages.
VENDORS = {
    "salesforce": (ex.write_salesforce_export, ex.SF_OPPORTUNITY, ex.SF_OPPORTUNITIES, "StageName"),
    "hubspot": (ex.write_hubspot_export, ex.HS_DEAL, ex.HS_DEALS, "Deal Stage"),
    "zoho": (ex.write_zoho_export, ex.ZO_DEAL, ex.ZO_DEALS, "Stage"),
}


@pytest.mark.parametrize("source", list(VENDORS))
def test_funnelcast_run_reads_the_vendors_export_with_only_source_set(tmp_path, source):
    write_export, header, deals, stage_column = VENDORS[source]
    write_export(tmp_path / "landing" / DROP)
    config = write_settings(tmp_path, tmp_path / "landing", source=source)
    run_funnelcast("run", config=config, dagster_home=tmp_path / "dagster_home", check=True)

    stages = [dict(zip(header, deal))[stage_column] for deal in deals]
    won = sum(1 for s in stages if s == "Closed Won")
    lost = sum(1 for s in stages if s.replace("-", " ").startswith("Closed Lost"))
    assert won and lost, "the export has a won and a lost deal to count"
    with duckdb.connect(str(tmp_path / "warehouse" / "funnelcast.duckdb"), read_only=True) as con:
        got = con.execute(
            "SELECT count(won_at), count(lost_at), count(DISTINCT opportunity_id) FROM marts.fct_funnel"
        ).fetchone()
    assert got == (won, lost, len(deals))
