"""The qualified pipeline marts together (issue 4) on real DuckDB files, built by the real dbt.

The hand-made history (tests/drops/pipeline.py) passes the pipeline's data tests.  The generated
small data set, loaded in two steps, proves the incremental build equals a full refresh, that
the movement reconciles for every week and owner, and that the latest week shows the current
records.

The marts' own cases are in test_fct_pipeline_weekly.py, test_pipeline_time_in_stage.py,
test_mart_pipeline_movement.py and test_mart_pipeline_weekly.py.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from ingest.drops import find_drops
from tests.drops.pipeline import BUILD_SELECTION
from tests.warehouse import dbt_build, load_landing, rows, warned


def test_hand_made_history_passes_the_pipeline_data_tests(pipeline_handmade):
    _, output = pipeline_handmade
    assert warned(output, "assert_latest_week_matches_current_opportunities") is None
    assert "assert_pipeline_movement_reconciles" in output


# ----------------------------------------------------------------------------- generated data

FIRST_DROPS = 8  # of the small data set's 13: the rest arrive as later weekly runs


def fct_rows(con) -> list[tuple]:
    return rows(con, "select * from marts.fct_pipeline_weekly order by opportunity_id, week_end")


@pytest.fixture(scope="module")
def generated(request, tmp_path_factory) -> Iterator[dict]:
    """The small generated data set: the first drops built, the rest loaded and built
    incrementally, then a full refresh of the same warehouse."""
    source: Path = request.getfixturevalue("small_landing")
    work = tmp_path_factory.mktemp("pipeline_generated")
    landing, db = work / "landing", work / "build.duckdb"
    drops = find_drops(source)
    assert len(drops) > FIRST_DROPS
    for drop in drops[:FIRST_DROPS]:
        shutil.copytree(source / drop, landing / drop)
    load_landing(landing, db)
    dbt_build(db, work, select=BUILD_SELECTION)
    with duckdb.connect(str(db), read_only=True) as con:
        first_rows = fct_rows(con)

    for drop in drops[FIRST_DROPS:]:
        shutil.copytree(source / drop, landing / drop)
    load_landing(landing, db)
    dbt_build(db, work, select=BUILD_SELECTION)
    with duckdb.connect(str(db), read_only=True) as con:
        after_incremental = fct_rows(con)

    with mock.patch.dict(os.environ, {"DBT_FULL_REFRESH": "true"}):
        dbt_build(db, work, select=BUILD_SELECTION)
    con = duckdb.connect(str(db), read_only=True)
    yield {
        "con": con,
        "db": db,
        "first_rows": first_rows,
        "after_incremental": after_incremental,
        "dbt_log": (work / "logs" / "dbt.log").read_text(encoding="utf-8"),
    }
    con.close()


def test_incremental_build_equals_a_full_refresh(generated):
    con = generated["con"]
    full = fct_rows(con)
    assert len(full) > 0
    assert generated["after_incremental"] == full
    # The second run took the incremental path: the spine the mart is a view of was
    # delete+inserted on the rows it selected...
    assert 'delete from "build"."intermediate"."int_opportunity_weekly_state" as DBT_INCREMENTAL_TARGET' in generated["dbt_log"]
    # ...added the weeks of the later drops (13 drops, a week apart)...
    first_weeks = {r[0] for r in generated["first_rows"]}
    all_weeks = {r[0] for r in full}
    assert first_weeks < all_weeks
    assert max(all_weeks) - max(first_weeks) == dt.timedelta(weeks=13 - FIRST_DROPS)
    # ...and wrote only new or corrected rows: most of the past is as the first run wrote it.
    written = set(full) - set(generated["first_rows"])
    kept = set(full) & set(generated["first_rows"])
    assert {r[0] for r in written} >= all_weeks - first_weeks
    assert len(kept) > len(written)


def test_movement_reconciles_for_every_week_and_owner(generated):
    con = generated["con"]
    # Restated here from the definition, independently of the singular dbt test.
    unbalanced = rows(
        con,
        """
        select week_end, owner_user_id,
               sum(case when movement = 'starting' then opportunity_count end) as starting_count,
               sum(case when movement not in ('starting', 'ending') then opportunity_count else 0 end) as changes,
               sum(case when movement = 'ending' then opportunity_count end) as ending_count,
               sum(case when movement = 'starting' then amount end) as starting_amount,
               sum(case when movement not in ('starting', 'ending') then amount else 0 end) as amount_changes,
               sum(case when movement = 'ending' then amount end) as ending_amount
        from marts.mart_pipeline_movement
        group by week_end, owner_user_id
        having starting_count is null or ending_count is null
            or starting_count + changes <> ending_count
            or abs(starting_amount + amount_changes - ending_amount) > 0.01
        """,
    )
    assert unbalanced == []
    # And the levels are the pipeline itself: ending = the open deals of fct_pipeline_weekly
    # closing in the week end's quarter, for every week end and owner.
    assert rows(
        con,
        """
        with pipeline as (
            select week_end, owner_user_id, count(*) as deals, sum(coalesce(amount_reporting, 0)) as amount
            from marts.fct_pipeline_weekly
            where is_open
                and close_date >= date_trunc('quarter', week_end)
                and close_date < date_trunc('quarter', week_end) + interval 3 month
            group by week_end, owner_user_id
        ),
        ending as (
            select week_end, owner_user_id, opportunity_count as deals, amount
            from marts.mart_pipeline_movement where movement = 'ending' and opportunity_count > 0
        )
        select count(*) from pipeline full outer join ending using (week_end, owner_user_id)
        where pipeline.deals is distinct from ending.deals or abs(pipeline.amount - ending.amount) > 0.01
        """,
    ) == [(0,)]
    weeks_owners = rows(con, "select count(distinct week_end), count(distinct owner_user_id) from marts.mart_pipeline_movement")
    assert weeks_owners[0][0] > 40 and weeks_owners[0][1] > 5


def test_every_open_opportunity_is_in_the_latest_week_as_it_is_now(generated):
    con = generated["con"]
    open_now = rows(
        con,
        """
        select o.opportunity_id, o.sales_stage, o.amount_reporting
        from intermediate.int_opportunities o
        join vocabulary.stage_map m on m.crm_stage = o.sales_stage
        where not m.is_closed
        order by 1
        """,
    )
    latest = rows(
        con,
        """
        select opportunity_id, stage, amount_reporting
        from marts.fct_pipeline_weekly
        where week_end = (select max(week_end) from marts.fct_pipeline_weekly) and is_open
        order by 1
        """,
    )
    assert len(open_now) > 10
    assert [(o, s) for o, s, _ in latest] == [(o, s) for o, s, _ in open_now]
    for (opp, _, amount_then), (_, _, amount_now) in zip(latest, open_now):
        assert float(amount_then) == pytest.approx(float(amount_now), abs=0.01), opp
