"""The forecast marts (issue 5) on real DuckDB files, built by the real dbt.

The hand-made drop set (tests/drops/forecast.py): a three-level sales organisation (VP ->
manager -> two reps), plus two users whose reports_to_id point at each other (a cycle), with
eight deals closing in fiscal 2026-Q1 whose forecast categories, close dates and stages change
during the quarter.  Commit, best case and pipeline for every node are worked out by hand at two
week ends.  The same drops, built with a February fiscal-year start (`forecast_february`), prove
the quarters move.  The generated small data set (`small_warehouse`) proves the roll-up adds up,
closed won reconciles with staging and accuracy is 1 where the call was right.

Calendar (2026, weeks end on Sunday): FY2026-Q1 = Jan 1 .. Mar 31 with the default January start;
Sundays Jan 18 (week 3), Feb 8 (week 6), Feb 15 (week 7), Feb 22.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.drops.forecast import W1, W2
from tests.warehouse import rows, warned


D = dt.date


FIGURES = "closed_won, commit, best_case, pipeline, omitted"


def figures(con, week_end: dt.date, quarter: str = "FY2026-Q1", relation: str | None = None) -> dict[str, tuple]:
    """{node: figures} of one week end and quarter; with `relation`, only rows of that quarter_relation."""
    got = rows(con, f"select node_id, {FIGURES} from marts.mart_forecast_rollup "
                    "where as_of_week_end = ? and fiscal_quarter = ? and quarter_relation = coalesce(?, quarter_relation)",
               [week_end, quarter, relation])
    return {node: tuple(int(v) for v in values) for node, *values in got}


# ----------------------------------------------------------------------------- hand-made

def test_hierarchy_levels_names_and_the_cycle(forecast_handmade):
    con, _ = forecast_handmade
    got = rows(con, "select user_id, ancestor_user_id, depth, ancestor_level, ancestor_name, ancestor_title, "
                    "has_cycle from marts.dim_sales_hierarchy order by user_id, depth")
    assert got == [
        ("u_mgr", "u_mgr", 0, 1, "Max Grant", "Sales Manager", False),
        ("u_mgr", "u_vp", 1, 0, "Vera Price", "VP Sales", False),
        ("u_rep_a", "u_rep_a", 0, 2, "rep_a", "Account Executive", False),
        ("u_rep_a", "u_mgr", 1, 1, "Max Grant", "Sales Manager", False),
        ("u_rep_a", "u_vp", 2, 0, "Vera Price", "VP Sales", False),
        ("u_rep_b", "u_rep_b", 0, 2, "rep_b", "Account Executive", False),
        ("u_rep_b", "u_mgr", 1, 1, "Max Grant", "Sales Manager", False),
        ("u_rep_b", "u_vp", 2, 0, "Vera Price", "VP Sales", False),
        ("u_vp", "u_vp", 0, 0, "Vera Price", "VP Sales", False),
        # The cycle: each user kept, alone, under the company root, flagged.
        ("u_x", "u_x", 0, 0, "x", None, True),
        ("u_y", "u_y", 0, 0, "y", None, True),
    ]


def test_a_hierarchy_cycle_is_reported_not_hung_on(forecast_handmade):
    con, dbt_output = forecast_handmade
    # The build finished (the fixture), and the warn-severity test names both users.
    assert warned(dbt_output, "assert_user_hierarchy_is_clean") == 2
    assert rows(con, "select distinct parent_node_id, has_cycle from marts.mart_forecast_rollup "
                     "where node_id = 'u_x'") == [("company", True)]


def test_nodes_are_owners_their_managers_and_the_company(forecast_handmade):
    con, _ = forecast_handmade
    got = rows(con, "select distinct node_id, node_level, parent_node_id from marts.mart_forecast_rollup order by 1")
    # u_y owns nothing and manages nobody (the cycle is cut): not a node.
    assert got == [("company", 0, None), ("u_mgr", 2, "u_vp"), ("u_rep_a", 3, "u_mgr"),
                   ("u_rep_b", 3, "u_mgr"), ("u_vp", 1, "company"), ("u_x", 1, "company")]


def test_forecast_at_week_end_jan_18(forecast_handmade):
    con, _ = forecast_handmade
    # (closed_won, commit, best_case, pipeline, omitted) as of Sun Jan 18, FY2026-Q1:
    # rep_a: D1 upside 10000, D2 exclude 4000, D7 include 1500 (lost only on Jan 30):
    #   commit 1500; best case 1500 + 10000 = 11500; pipeline 10000 + 4000 + 1500 = 15500; omitted 4000.
    # rep_b: D3 include 6000 (won only on Feb 10), D4 include 3000 (upside only from Jan 28):
    #   commit 9000, best case 9000, pipeline 9000.
    # mgr = rep_a + rep_b + own D5 upside 5000: commit 10500; best 11500 + 9000 + 5000 = 25500;
    #   pipeline 15500 + 9000 + 5000 = 29500; omitted 4000.
    # vp = mgr (D6 is created on Jan 20).  x: D8 include 700.  company = vp + x.
    assert figures(con, W1) == {
        "u_rep_a": (0, 1500, 11500, 15500, 4000),
        "u_rep_b": (0, 9000, 9000, 9000, 0),
        "u_mgr": (0, 10500, 25500, 29500, 4000),
        "u_vp": (0, 10500, 25500, 29500, 4000),
        "u_x": (0, 700, 700, 700, 0),
        "company": (0, 11200, 26200, 30200, 4000),
    }


def test_forecast_at_week_end_feb_15(forecast_handmade):
    con, _ = forecast_handmade
    # As of Sun Feb 15:
    # rep_a: D1 include since Feb 2 (10000), D2 exclude 4000, D7 lost Jan 30 (gone):
    #   commit 10000, best case 10000, pipeline 14000, omitted 4000.
    # rep_b: D3 won Feb 10 -> closed 6000; D4 pushed to Apr 20 on Feb 5 -> not in Q1:
    #   closed 6000, commit 6000, best case 6000, pipeline 0.
    # mgr: closed 6000; commit 10000 + 6000 = 16000; best 16000 + D5 5000 = 21000;
    #   pipeline 14000 + 0 + 5000 = 19000; omitted 4000.
    # vp = mgr + D6 include 2000: commit 18000, best 23000, pipeline 21000.
    # company = vp + x (700): commit 18700, best 23700, pipeline 21700.
    assert figures(con, W2) == {
        "u_rep_a": (0, 10000, 10000, 14000, 4000),
        "u_rep_b": (6000, 6000, 6000, 0, 0),
        "u_mgr": (6000, 16000, 21000, 19000, 4000),
        "u_vp": (6000, 18000, 23000, 21000, 4000),
        "u_x": (0, 700, 700, 700, 0),
        "company": (6000, 18700, 23700, 21700, 4000),
    }
    # A week end's current quarter is the quarter its week is in: D4 (now closing in Q2) is
    # counted in Q2's current rows from Q2's first week on, and before that under 'next'.
    assert rows(con, "select distinct fiscal_quarter, quarter_relation from marts.mart_forecast_rollup "
                     "where as_of_week_end = ? order by 1", [W2]) == [("FY2026-Q1", "current"), ("FY2026-Q2", "next")]


def test_a_week_in_q1_shows_q2_under_next(forecast_handmade):
    con, _ = forecast_handmade
    # As of Sun Feb 15 (in Q1), the next quarter is FY2026-Q2 (Apr 1 .. Jun 30).  The only deal
    # closing in Q2 then is rep_b's D4: 3000, upside since Jan 28, close date pushed to Apr 20 on
    # Feb 5.  So rep_b, mgr, vp and company: closed 0, commit 0, best case 0 + 3000 = 3000,
    # pipeline 3000, omitted 0; rep_a and x have nothing in Q2 (zero rows, every node has one).
    assert figures(con, W2, "FY2026-Q2", relation="next") == {
        "u_rep_a": (0, 0, 0, 0, 0),
        "u_rep_b": (0, 0, 3000, 3000, 0),
        "u_mgr": (0, 0, 3000, 3000, 0),
        "u_vp": (0, 0, 3000, 3000, 0),
        "u_x": (0, 0, 0, 0, 0),
        "company": (0, 0, 3000, 3000, 0),
    }
    # Sun Jan 18: D4 still closed on Mar 10 (Q1), nothing closes in Q2 yet.
    assert set(figures(con, W1, "FY2026-Q2").values()) == {(0, 0, 0, 0, 0)}
    # Q2's week 1 ends Sun Apr 5 (the first Sunday on or after Apr 1); Feb 15 is 49 days = 7 weeks
    # before it: week 1 - 7 = -6; Feb 8 is 56 days = 8 weeks before: -7.  Changes within the 'next' rows: Sun Feb 1 had D4 in Q1 (0 in Q2),
    # Feb 8 (pushed on Feb 5) 3000 -> +3000; Feb 15 still 3000 -> 0.
    got = rows(con, "select as_of_week_end, week_of_quarter, pipeline_change, best_case_change "
                    "from marts.mart_forecast_rollup where node_id = 'u_rep_b' and fiscal_quarter = 'FY2026-Q2' "
                    "and as_of_week_end in ('2026-02-08', '2026-02-15') order by 1")
    assert got == [(D(2026, 2, 8), -7, 3000, 3000), (D(2026, 2, 15), -6, 0, 0)]
    # The accuracy of closed quarters scores only the calls made during the quarter.
    assert rows(con, "select count(*) from marts.mart_forecast_accuracy where week_of_quarter < 1") == [(0,)]


def test_week_over_week_change_and_coverage(forecast_handmade):
    con, _ = forecast_handmade
    # rep_b on Sun Feb 8: D3 still open include 6000, D4 already pushed out -> commit 6000,
    # pipeline 6000.  Feb 15: D3 won -> closed +6000, commit +0, pipeline -6000.
    got = rows(con, "select closed_won_change, commit_change, best_case_change, pipeline_change "
                    "from marts.mart_forecast_rollup where node_id = 'u_rep_b' and as_of_week_end = ? "
                    "and fiscal_quarter = 'FY2026-Q1'", [W2])
    assert got == [(6000, 0, 0, -6000)]
    # Targets: rep_a 20000 + rep_b 10000 = 30000 for mgr, vp and company; none for x.
    # Coverage = pipeline / (target - closed won): mgr 19000 / 24000, vp 21000 / 24000.
    got = dict(((n, (t, c)) for n, t, c in rows(
        con, "select node_id, target, coverage from marts.mart_forecast_rollup "
             "where as_of_week_end = ? and fiscal_quarter = 'FY2026-Q1'", [W2])))
    assert got["u_mgr"][0] == 30000 and got["u_mgr"][1] == pytest.approx(19000 / 24000)
    assert got["u_vp"][1] == pytest.approx(21000 / 24000)
    assert got["company"][1] == pytest.approx(21700 / 24000)
    assert got["u_rep_b"] == (10000, 0.0)
    assert got["u_x"] == (None, None)


def test_first_week_of_the_quarter_has_no_change(forecast_handmade):
    con, _ = forecast_handmade
    got = rows(con, "select distinct commit_change from marts.mart_forecast_rollup "
                    "where fiscal_quarter = 'FY2026-Q1' and week_of_quarter = 2")
    assert got == [(None,)]  # the spine starts at week 2 (Sun Jan 11): nothing earlier to compare with


def test_february_fiscal_year_start(forecast_february):
    con, _ = forecast_february
    # January belongs to the previous fiscal year's Q4 (Nov .. Jan); February starts FY2026.
    got = rows(con, "select date_day, fiscal_year, fiscal_quarter, fiscal_quarter_start, fiscal_quarter_end "
                    "from marts.dim_fiscal_calendar where date_day in ('2026-01-15', '2026-02-01', '2026-04-30')"
                    " order by 1")
    assert got == [
        (D(2026, 1, 15), 2025, "FY2025-Q4", D(2025, 11, 1), D(2026, 1, 31)),
        (D(2026, 2, 1), 2026, "FY2026-Q1", D(2026, 2, 1), D(2026, 4, 30)),
        (D(2026, 4, 30), 2026, "FY2026-Q1", D(2026, 2, 1), D(2026, 4, 30)),
    ]
    # Sun Jan 18 reports FY2025-Q4, where no deal closes: all zeros.
    assert set(figures(con, W1, "FY2025-Q4").values()) == {(0, 0, 0, 0, 0)}
    # Sun Feb 15 in FY2026-Q1 (Feb .. Apr): D4's Apr 20 close date is still in the quarter,
    # so rep_b = closed 6000, commit 6000, best case 6000 + 3000 = 9000, pipeline 3000.
    assert figures(con, W2, "FY2026-Q1")["u_rep_b"] == (6000, 6000, 9000, 3000, 0)


# ----------------------------------------------------------------------------- small_warehouse


def test_every_node_is_the_sum_of_its_subtree_reps(small_warehouse):
    con = small_warehouse
    # Recomputed here from each owner's own figures and the hierarchy, not from the
    # children's rows: a node = every owner whose chain contains it.
    mismatches = rows(con, f"""
        with owner as (
            select as_of_week_end, fiscal_quarter, owner_user_id, closed_won,
                closed_won + open_commit as commit, closed_won + open_commit + open_best_case as best_case,
                pipeline, omitted
            from intermediate.int_forecast_owner_weekly
        ),
        expected as (
            select o.as_of_week_end, o.fiscal_quarter, h.ancestor_user_id as node_id,
                sum(o.closed_won) cw, sum(o.commit) c, sum(o.best_case) b, sum(o.pipeline) p, sum(o.omitted) om
            from owner o join marts.dim_sales_hierarchy h on h.user_id = o.owner_user_id
            group by all
            union all
            select as_of_week_end, fiscal_quarter, 'company', sum(closed_won), sum(commit), sum(best_case),
                sum(pipeline), sum(omitted)
            from owner group by all
        )
        select r.as_of_week_end, r.fiscal_quarter, r.node_id
        from marts.mart_forecast_rollup r
        left join expected e using (as_of_week_end, fiscal_quarter, node_id)
        where ({FIGURES}) is distinct from (coalesce(e.cw, 0), coalesce(e.c, 0), coalesce(e.b, 0),
                                             coalesce(e.p, 0), coalesce(e.om, 0))
    """)
    assert mismatches == []
    managers = rows(con, "select count(distinct parent_node_id) from marts.mart_forecast_rollup "
                         "where parent_node_id <> 'company'")[0][0]
    assert managers >= 2


def test_company_is_the_sum_of_all_reps(small_warehouse):
    con = small_warehouse
    got = rows(con, """
        select count(*) from marts.mart_forecast_rollup c
        join (select as_of_week_end, fiscal_quarter, sum(pipeline) p, sum(closed_won + open_commit) cm
              from intermediate.int_forecast_owner_weekly group by all) o using (as_of_week_end, fiscal_quarter)
        where c.node_id = 'company' and (c.pipeline <> o.p or c.commit <> o.cm)
    """)
    assert got == [(0,)]
    assert rows(con, "select sum(pipeline) > 0 from marts.mart_forecast_rollup where node_id = 'company'") == [(True,)]


def test_closed_won_at_quarter_end_equals_staging(small_warehouse):
    con = small_warehouse
    got = rows(con, """
        select r.fiscal_quarter, r.closed_won, coalesce(s.won, 0)
        from marts.mart_forecast_rollup r
        left join (
            -- Each won deal at the rate valid on the week end of the week it was won (the
            -- week it enters closed won), in cents; a deal the CRM converted at the CRM's figure.
            select c.fiscal_quarter, sum(case
                when o.amount_conversion = 'currency_rate' then round(o.amount * rates.rate, 2)
                else o.amount_reporting end) as won
            from intermediate.int_opportunities o
            join vocabulary.stage_map m on m.crm_stage = o.sales_stage and m.is_won
            join marts.dim_fiscal_calendar c on c.date_day = o.close_date
            join marts.fct_funnel f on f.opportunity_id = o.opportunity_id
            join marts.dim_fiscal_calendar won_week on won_week.date_day = cast(f.won_at as date)
            left join lateral (
                select r.rate from staging.stg_reference__currency_rates r
                where r.currency_id = o.currency_id and r.valid_from <= won_week.week_end
                order by r.valid_from desc limit 1
            ) rates on true
            group by all
        ) s using (fiscal_quarter)
        where r.node_id = 'company' and r.is_last_week_of_quarter and r.is_quarter_closed
        order by 1
    """)
    assert len(got) >= 2 and sum(1 for _, cw, _ in got if cw > 0) >= 2
    for quarter, closed_won, won in got:
        assert closed_won == pytest.approx(won, abs=Decimal("0.01")), quarter


def test_accuracy_is_one_where_the_commit_call_was_right(small_warehouse):
    con = small_warehouse
    right = rows(con, "select commit_accuracy, commit_bias from marts.mart_forecast_accuracy "
                      "where commit_call = actual_closed_won and actual_closed_won > 0")
    assert right and {r for r in right} == {(1.0, 0)}
    # Elsewhere the definition: 1 - |call - actual| / actual, signed bias = call - actual.
    off = rows(con, """
        select count(*) from marts.mart_forecast_accuracy
        where actual_closed_won > 0 and (
            abs(commit_accuracy - (1 - abs(commit_call - actual_closed_won) / actual_closed_won)) > 1e-9
            or abs(best_case_accuracy - (1 - abs(best_case_call - actual_closed_won) / actual_closed_won)) > 1e-9
            or commit_bias <> commit_call - actual_closed_won)
    """)
    assert off == [(0,)]
    assert rows(con, "select count(*) from marts.mart_forecast_accuracy "
                     "where actual_closed_won = 0 and commit_accuracy is not null") == [(0,)]
