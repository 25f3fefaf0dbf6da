"""Issue 13's history details (items 5 to 8) on the hand-made drop set tests/drops/forecast_history.py,
built once by the real loader and dbt; every expected figure carries its arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.drops import forecast_history
from tests.warehouse import built_warehouse_fixture, rows, warned

T = dt.datetime
D = dt.date

history_handmade = built_warehouse_fixture(
    "history_handmade", forecast_history.HANDMADE, select=forecast_history.BUILD_SELECTION)
history_current_hierarchy = built_warehouse_fixture(
    "history_current_hierarchy", forecast_history.HANDMADE, select=forecast_history.BUILD_SELECTION,
    dbt_vars=forecast_history.CURRENT_HIERARCHY_VARS)


# ----------------------------------------------------------------------------- item 8a: the close that stands


def test_a_deal_lost_reopened_qualified_and_lost_again_is_lost_at_its_last_loss(history_handmade):
    con, output = history_handmade
    got = rows(con, """
        select entry_id, sql_at, won_at, lost_at, closed_at, days_sql_to_close
        from marts.fct_funnel where entry_id in ('opportunity:H1', 'opportunity:H2') order by 1""")
    assert got == [
        # H1: SQL on Jan 26 10:00, lost again on Feb 4 10:00 (its loss of Jan 12 did not stand):
        # Jan 26 -> Feb 4 = 9 days.
        ("opportunity:H1", T(2026, 1, 26, 10), None, T(2026, 2, 4, 10), T(2026, 2, 4, 10), 9.0),
        # H2: created qualified Jan 5 09:00; won Jan 14, reopened, lost Feb 3 10:00: lost, not won,
        # at Feb 3: 29 days and 1 hour = 29 + 1/24 days.
        ("opportunity:H2", T(2026, 1, 5, 9), None, T(2026, 2, 3, 10), T(2026, 2, 3, 10), 29 + 1 / 24),
    ]
    # No duration of any entry is negative, and the order check blames nothing on the export.
    assert rows(con, """
        select count(*) from marts.fct_funnel
        where days_sql_to_close < 0 or sales_cycle_days < 0 or closed_at < sql_at""") == [(0,)]
    assert warned(output, "assert_funnel_milestones_in_order") is None


# ----------------------------------------------------------------------------- item 8b: each week at its rate


def test_a_euro_deal_is_worth_each_week_what_the_rate_of_that_week_end_makes_it(history_handmade):
    con, _ = history_handmade
    got = rows(con, """
        select opportunity_id, week_end, amount_reporting from marts.fct_pipeline_weekly
        where opportunity_id in ('E1', 'E3') and week_end in ('2026-01-25', '2026-02-01', '2026-02-08')
        order by 1, 2""")
    assert got == [
        # 1000.05 EUR x 1.10 = 1100.055 -> 1100.06 (half a cent rounds up); from Sun Feb 1 the rate is
        # 1.23457: 1000.05 x 1.23457 = 1234.6317285 -> 1234.63.
        ("E1", D(2026, 1, 25), Decimal("1100.06")),
        ("E1", D(2026, 2, 1), Decimal("1234.63")),
        ("E1", D(2026, 2, 8), Decimal("1234.63")),
        # 100.05 x 1.10 = 110.055 -> 110.06; 100.05 x 1.23457 = 123.5187285 -> 123.52.
        ("E3", D(2026, 1, 25), Decimal("110.06")),
        ("E3", D(2026, 2, 1), Decimal("123.52")),
        ("E3", D(2026, 2, 8), Decimal("123.52")),
    ]
    # The deal's own value (int_opportunities, the funnel's amount) stays at the creation rate, in cents.
    assert rows(con, "select amount_reporting from intermediate.int_opportunities where opportunity_id = 'E1'") == [
        (Decimal("1100.06"),)]


def test_a_roll_up_is_the_sum_of_its_rows_to_the_cent(history_handmade):
    con, _ = history_handmade
    # u_mgr_a's own deals E1 + E3 (u_rep moved away on Feb 11), week of Feb 15: 1234.63 + 123.52 = 1358.15;
    # week of Jan 25, with u_rep's R1 (5000, Q1) still under u_mgr_a: 1100.06 + 110.06 + 5000 = 6210.12
    # (rounding the unrounded sum 1100.055 + 110.055 + 5000 = 6210.11 would lose a cent).
    got = rows(con, """
        select as_of_week_end, pipeline from marts.mart_forecast_rollup
        where node_id = 'u_mgr_a' and fiscal_quarter = 'FY2026-Q1'
            and as_of_week_end in ('2026-01-25', '2026-02-15') order by 1""")
    assert got == [(D(2026, 1, 25), Decimal("6210.12")), (D(2026, 2, 15), Decimal("1358.15"))]
    # Every node's pipeline is the sum of its deals' weekly rows, to the cent.
    assert rows(con, """
        with deal_sums as (
            select w.week_end, n.node_id, w.close_fiscal_quarter, sum(w.amount_reporting) as pipeline
            from marts.fct_pipeline_weekly as w
            inner join intermediate.int_forecast_owner_nodes as n on n.owner_user_id = w.owner_user_id
                and (n.hierarchy_valid_from is null or n.hierarchy_valid_from <= w.week_end)
                and (n.hierarchy_valid_to is null or w.week_end < n.hierarchy_valid_to)
            where w.is_open
            group by 1, 2, 3)
        select count(*) from marts.mart_forecast_rollup as r
        inner join deal_sums as s
            on s.week_end = r.as_of_week_end and s.node_id = r.node_id and s.close_fiscal_quarter = r.fiscal_quarter
        where s.pipeline <> r.pipeline""") == [(0,)]


# ----------------------------------------------------------------------------- item 7: the chain of the week

ROLLUP_OF_REP = """
    select as_of_week_end, node_id, parent_node_id, pipeline from marts.mart_forecast_rollup
    where fiscal_quarter = 'FY2026-Q1' and as_of_week_end in ('2026-02-08', '2026-02-15')
        and node_id in ('u_rep', 'u_mgr_a', 'u_mgr_b', 'u_vp')
    order by 1, 2"""


def test_a_rep_who_changes_manager_rolls_up_under_the_chain_of_each_week(history_handmade):
    con, _ = history_handmade
    # Q1 pipeline: u_rep's R1 5000 (R2 closes in Q2); u_mgr_a's own E1 + E3 = 1234.63 + 123.52 = 1358.15.
    # The users drop of Apr 2 moves u_rep to u_mgr_b from Wed Feb 11: Sun Feb 8 is before, Feb 15 after.
    # u_vp: everything below it, 1358.15 + 5000 = 6358.15, both weeks.
    assert rows(con, ROLLUP_OF_REP) == [
        (D(2026, 2, 8), "u_mgr_a", "u_vp", Decimal("6358.15")),  # 1358.15 + u_rep's 5000
        (D(2026, 2, 8), "u_mgr_b", "u_vp", Decimal("0")),
        (D(2026, 2, 8), "u_rep", "u_mgr_a", Decimal("5000")),
        (D(2026, 2, 8), "u_vp", "company", Decimal("6358.15")),
        (D(2026, 2, 15), "u_mgr_a", "u_vp", Decimal("1358.15")),
        (D(2026, 2, 15), "u_mgr_b", "u_vp", Decimal("5000")),
        (D(2026, 2, 15), "u_rep", "u_mgr_b", Decimal("5000")),
        (D(2026, 2, 15), "u_vp", "company", Decimal("6358.15")),
    ]
    # The sales hierarchy mart shows the chain of today.
    assert rows(con, "select manager_user_id from marts.dim_sales_hierarchy where user_id = 'u_rep' and depth = 0") == [
        ("u_mgr_b",)]


def test_with_hierarchy_as_of_current_every_week_uses_todays_chain(history_current_hierarchy):
    con, _ = history_current_hierarchy
    assert rows(con, ROLLUP_OF_REP) == [
        (D(2026, 2, 8), "u_mgr_a", "u_vp", Decimal("1358.15")),
        (D(2026, 2, 8), "u_mgr_b", "u_vp", Decimal("5000")),
        (D(2026, 2, 8), "u_rep", "u_mgr_b", Decimal("5000")),
        (D(2026, 2, 8), "u_vp", "company", Decimal("6358.15")),
        (D(2026, 2, 15), "u_mgr_a", "u_vp", Decimal("1358.15")),
        (D(2026, 2, 15), "u_mgr_b", "u_vp", Decimal("5000")),
        (D(2026, 2, 15), "u_rep", "u_mgr_b", Decimal("5000")),
        (D(2026, 2, 15), "u_vp", "company", Decimal("6358.15")),
    ]


def test_the_marts_over_the_tree_count_a_rep_who_moved_once(history_handmade):
    # u_rep has two hierarchy periods (under u_mgr_a until Feb 11, then u_mgr_b): a mart
    # that joined the tree without the period would hold u_rep's deals twice above u_rep.
    con, _ = history_handmade
    for mart, grain in (("mart_owner_performance", "fiscal_quarter, node_id, motion"),
                        ("mart_forecast_slippage", "fiscal_quarter, node_id"),
                        ("mart_forecast_expected", "as_of_week_end, fiscal_quarter, node_id")):
        assert rows(con, f"select {grain}, count(*) from marts.{mart} group by all having count(*) > 1") == [], mart
    # The company's won deals per quarter are the won deals closing in it, each once.
    assert rows(con, """
        select p.fiscal_quarter, p.won_deals, coalesce(w.won, 0)
        from marts.mart_owner_performance p
        left join (
            select c.fiscal_quarter, count(*) as won
            from intermediate.int_opportunities o
            join vocabulary.stage_map m on m.crm_stage = o.sales_stage and m.is_won
            join marts.dim_fiscal_calendar c on c.date_day = o.close_date
            group by all
        ) w using (fiscal_quarter)
        where p.node_id = 'company' and p.motion = 'all' and p.won_deals <> coalesce(w.won, 0)
    """) == []
    # The company is u_vp's subtree (everyone reports to u_vp): the same figures.
    assert rows(con, """
        select fiscal_quarter from marts.mart_forecast_slippage c
        join marts.mart_forecast_slippage v using (fiscal_quarter)
        where c.node_id = 'company' and v.node_id = 'u_vp' and c.expected_deals <> v.expected_deals
    """) == []
    # The expected forecast stands next to the roll-up's own closed won, node by node.
    assert rows(con, """
        select e.as_of_week_end, e.node_id from marts.mart_forecast_expected e
        join marts.mart_forecast_rollup r using (as_of_week_end, fiscal_quarter, node_id)
        where e.closed_won <> r.closed_won
    """) == []
