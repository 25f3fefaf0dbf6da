"""A weekly build reaches the deals a drop did not touch when their motion changes.

A deal without a type is farming when its account had a deal won before it was created
(docs/domain.md, hunting and farming). A later drop can report such a win with a close
date before another deal of the account was created: that deal's motion flips although
no row of it is in the drop. The incremental models keyed by opportunity (the as-of
spine behind fct_pipeline_weekly among them) must recompute it, which is why
int_changed_opportunities lists the deals of the accounts where a touched deal is or
was won. A list that forgets the flip leaves the deal's past weeks hunting: this test
fails then.
"""

from __future__ import annotations

import os
from unittest import mock

import duckdb

from tests.drops import account, moves, opportunity, user
from tests.warehouse import dbt_build, load_landing, rows, write_drop_set

FIRST, SECOND = "2026-02-09", "2026-02-16"
LOADED = ("users", "accounts", "opportunities", "opportunities_audit")

# W is open in the first drop, won in the second with a close date (Jan 20) before X was
# created (Jan 21). X, untyped and in the same account, is in the first drop only.
DROPS = {
    FIRST: {
        "users": [user("u_ae", date_modified="2026-01-01 00:00:00")],
        "accounts": [account("acc1", "Acme", "2025-12-01 00:00:00")],
        "opportunities": [
            opportunity("W", "2026-01-02 09:00:00", "2026-01-02 09:00:00", amount="1000", stage="Prospecting",
                        opp_type="", account="acc1", close="2026-03-31"),
            opportunity("X", "2026-01-21 09:00:00", "2026-01-21 09:00:00", amount="2000", stage="Prospecting",
                        opp_type="", account="acc1", close="2026-04-30"),
            # Another account's deal, so that the first build's weeks run past X's first ones
            # (a weekly build recomputes every deal's last week anyway).
            opportunity("Y", "2026-02-07 09:00:00", "2026-02-07 09:00:00", amount="500", stage="Prospecting",
                        close="2026-05-31"),
        ],
        "opportunities_audit": [],
    },
    SECOND: {
        "opportunities": [
            opportunity("W", "2026-01-02 09:00:00", "2026-02-10 09:00:00", amount="1000", stage="Closed Won",
                        opp_type="", account="acc1", close="2026-01-20"),
        ],
        "opportunities_audit": moves("W", ("2026-02-10 09:00:00", "Prospecting", "Closed Won")),
    },
}


def motion_weeks(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return rows(con, "select week_end, motion from marts.fct_pipeline_weekly where opportunity_id = 'X' "
                         "order by week_end")


def test_a_win_reported_later_flips_the_motion_of_a_deal_the_drop_did_not_touch(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "build.duckdb"
    write_drop_set(landing, {FIRST: DROPS[FIRST]})
    load_landing(landing, db, must_load=LOADED)
    dbt_build(db, tmp_path)
    before = motion_weeks(db)
    assert len(before) >= 3 and {m for _, m in before} == {"hunting"}  # the account has no win yet

    write_drop_set(landing, {SECOND: DROPS[SECOND]})
    load_landing(landing, db, must_load=LOADED)
    dbt_build(db, tmp_path)
    weekly = motion_weeks(db)
    # Every week of X, the past ones the second drop did not reach by date too, is farming now.
    assert [w for w, _ in weekly][:len(before)] == [w for w, _ in before]
    assert weekly == [(w, "farming") for w, _ in weekly]
    # It was an incremental build (a build of every model completed before it: a selection
    # does not complete one, and then every deal is recomputed), which recomputed X for its
    # account's sake only (the drop has no row of X) and left Y, of no account, alone.
    with duckdb.connect(str(db), read_only=True) as con:
        assert rows(con, "select count(*) from ops.dbt_builds where completed_at is not null") == [(2,)]
        assert rows(con, "select opportunity_id from intermediate.int_changed_opportunities order by 1") == [
            ("W",), ("X",)]

    with mock.patch.dict(os.environ, {"DBT_FULL_REFRESH": "true"}):
        dbt_build(db, tmp_path)
    assert motion_weeks(db) == weekly
