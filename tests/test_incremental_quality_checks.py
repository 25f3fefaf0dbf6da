"""The warnings about doubtful records come the week the record arrives, and again on a full refresh.

Two quality checks read what a weekly build changed, not all of history
(docs/incremental.md, "Which checks run every week"):

- assert_no_conflicting_versions_of_*: two versions of a record with the same
  date_modified and different content. A weekly build compares the pairs a new version
  arrived for, with every earlier version of the pair.
- assert_audit_changes_not_before_creation: a logged change dated before its
  opportunity was created. A weekly build reads the opportunities it recomputed.

Here the conflict is between a version of the first drop and one of the second: a
check that compared only the rows loaded since would see one version and stay quiet.
"""

from __future__ import annotations

import os
from unittest import mock

import duckdb

from tests.drops import account, change, opportunity, user
from tests.warehouse import dbt_build, load_landing, rows, warned, write_drop_set

FIRST, SECOND, THIRD = "2026-02-09", "2026-02-16", "2026-02-23"
LOADED = ("users", "accounts", "opportunities", "opportunities_audit")
CONFLICT = "assert_no_conflicting_versions_of_opportunities"
EARLY_CHANGE = "assert_audit_changes_not_before_creation"

DROPS = {
    FIRST: {
        "users": [user("u_ae", date_modified="2026-01-01 00:00:00")],
        "accounts": [account("acc1", "Acme", "2025-12-01 00:00:00")],
        "opportunities": [
            opportunity("C", "2026-01-05 09:00:00", "2026-02-02 09:00:00", amount="1000", stage="Prospecting",
                        account="acc1", close="2026-03-31"),
            opportunity("E", "2026-01-10 09:00:00", "2026-01-10 09:00:00", amount="500", stage="Prospecting",
                        account="acc1", close="2026-04-30"),
        ],
        "opportunities_audit": [],
    },
    SECOND: {
        # C again, with the first drop's date_modified and another amount: which one holds?
        "opportunities": [
            opportunity("C", "2026-01-05 09:00:00", "2026-02-02 09:00:00", amount="2000", stage="Prospecting",
                        account="acc1", close="2026-03-31"),
        ],
        # A change of E logged five days before E was created.
        "opportunities_audit": [change("E-a1", "E", "2026-01-05 09:00:00", "amount", "400", "500")],
    },
    THIRD: {
        "opportunities": [
            opportunity("N", "2026-02-18 09:00:00", "2026-02-18 09:00:00", amount="700", stage="Prospecting",
                        account="acc1", close="2026-05-31"),
        ],
        "opportunities_audit": [],
    },
}


def week(tmp_path, drop: str) -> str:
    write_drop_set(tmp_path / "landing", {drop: DROPS[drop]})
    load_landing(tmp_path / "landing", tmp_path / "build.duckdb", must_load=LOADED)
    return dbt_build(tmp_path / "build.duckdb", tmp_path).stdout


def test_a_conflict_and_an_early_change_are_reported_the_week_they_arrive_and_on_a_full_refresh(tmp_path):
    first = week(tmp_path, FIRST)
    assert warned(first, CONFLICT) is None and warned(first, EARLY_CHANGE) is None

    second = week(tmp_path, SECOND)
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        # An incremental build: the first one completed, so the second read what changed.
        assert rows(con, "select count(*) from ops.dbt_builds where completed_at is not null") == [(2,)]
    assert warned(second, CONFLICT) == 1, second[-4000:]
    assert warned(second, EARLY_CHANGE) == 1, second[-4000:]

    # A week that brings neither: both were reported when they arrived, and are not read again.
    third = week(tmp_path, THIRD)
    assert warned(third, CONFLICT) is None and warned(third, EARLY_CHANGE) is None

    with mock.patch.dict(os.environ, {"DBT_FULL_REFRESH": "true"}):
        full = dbt_build(tmp_path / "build.duckdb", tmp_path).stdout
    assert warned(full, CONFLICT) == 1 and warned(full, EARLY_CHANGE) == 1, full[-4000:]
