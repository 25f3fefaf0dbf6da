"""The expected forecast (issue 13: mart_forecast_expected and its backtest in mart_forecast_accuracy)
on real DuckDB files built by the real dbt.

The hand-made drop set (tests/drops/forecast_expected.py): eight closed deals of FY2025-Q4 and two
deals of FY2025-Q3/Q4 created and won between week ends give the win probabilities and the new-deal
term by hand; two open deals of FY2026-Q1 (O1 Qualification 10000, O2 Proposal 4000) are forecast as
of Sun Mar 1 2026.  The same drops with O1 won (WON) and lost (LOST) after that week prove there is no
leakage.  The generated small data set proves the backtest's commit accuracy is the roll-up's.
"""

from __future__ import annotations

import math

import pytest

from tests.conftest import run_funnelcast
from tests.drops import forecast_expected as drops
from tests.drops.forecast_expected import AS_OF, Q1_LAST_WEEK_END, Q4_LAST_WEEK_END
from tests.warehouse import built_warehouse_fixture, readme_query, rows

expected_won = built_warehouse_fixture("expected_won", drops.WON, select=drops.BUILD_SELECTION)
expected_lost = built_warehouse_fixture("expected_lost", drops.LOST, select=drops.BUILD_SELECTION)

Z_90 = 1.2815515655446004  # the standard normal's 90th percentile
QUAL, PROPOSAL = "Qualification", "Proposal/Price Quote"


def probabilities(con, trained_through, level: int) -> set[tuple]:
    return set(rows(con, """
        select stage, motion, age_in_stage_bucket, has_slipped, days_left_bucket, deals, won_deals, win_probability
        from intermediate.int_forecast_win_probabilities
        where trained_through_week_end = ? and cell_level = ?""", [trained_through, level]))


def test_the_probability_table_worked_out_by_hand(expected_won):
    con, _ = expected_won
    # Only FY2025-Q4 has deals open at a week end (FY2025-Q3's only win, N3, was never open at one):
    # H1..H6 in Qualification (3 won), H7, H8 in Proposal (2 won), open at Nov 30 and Dec 7 (0-13
    # days in stage) and Dec 14 (20 days: 14-41), 17..31 days before Dec 31 (14-41).  A deal counts
    # once per cell, however many week ends it sat in it.
    assert probabilities(con, Q4_LAST_WEEK_END, 1) == {
        (QUAL, "hunting", "0-13", False, "14-41", 6, 3, 0.5),
        (QUAL, "hunting", "14-41", False, "14-41", 6, 3, 0.5),
        (PROPOSAL, "hunting", "0-13", False, "14-41", 2, 2, 1.0),
        (PROPOSAL, "hunting", "14-41", False, "14-41", 2, 2, 1.0),
    }
    assert probabilities(con, Q4_LAST_WEEK_END, 2) == {
        (QUAL, "hunting", None, None, "14-41", 6, 3, 0.5), (PROPOSAL, "hunting", None, None, "14-41", 2, 2, 1.0)}
    assert probabilities(con, Q4_LAST_WEEK_END, 4) == {
        (QUAL, None, None, None, None, 6, 3, 0.5), (PROPOSAL, None, None, None, None, 2, 2, 1.0)}
    # Every deal: 8, of which 5 won = 0.625.
    assert probabilities(con, Q4_LAST_WEEK_END, 5) == {(None, None, None, None, None, 8, 5, 0.625)}


def test_the_two_open_deals_expected_from_the_table(expected_won):
    con, _ = expected_won
    got = rows(con, """
        select opportunity_id, trained_through_week_end, cell_level, cell_deals, win_probability, expected_amount,
               amount_variance
        from intermediate.int_forecast_expected_deals where as_of_week_end = ? order by opportunity_id""", [AS_OF])
    assert got == [
        # O1: Qualification, 6 days in stage, never slipped, 30 days left: its level-1 cell has 6 deals
        # (>= 5): p = 3/6; 0.5 x 10000 = 5000; variance 0.5 x 0.5 x 10000^2 = 25,000,000.
        ("O1", Q4_LAST_WEEK_END, 1, 6, 0.5, 5000.0, 25_000_000.0),
        # O2: Proposal: 2 deals in its cells at levels 1 to 4 (< 5), so every deal, level 5: p = 5/8;
        # 0.625 x 4000 = 2500; variance 0.625 x 0.375 x 4000^2 = 3,750,000.
        ("O2", Q4_LAST_WEEK_END, 5, 8, 0.625, 2500.0, 3_750_000.0),
    ]


def expected_rows(con, week_end=AS_OF) -> dict[str, tuple]:
    got = rows(con, """
        select node_id, closed_won, commit, expected_from_open, expected_from_new, expected_from_pulled_in,
               expected_total, expected_p10, expected_p90, history_quarters
        from marts.mart_forecast_expected where as_of_week_end = ? and fiscal_quarter = 'FY2026-Q1'""", [week_end])
    return {node: tuple(values) for node, *values in got}


def test_the_expected_forecast_and_its_p10_p90_worked_out_by_hand(expected_won):
    con, _ = expected_won
    # New business, 5 weeks before the quarter's last week end, in the two closed quarters before Mar 1:
    # FY2025-Q3 at Aug 31: N3 (created Sep 3) 3000; FY2025-Q4 at Nov 30: N4 (created Dec 3) 1000.
    # Mean (3000 + 1000) / 2 = 2000; sample variance ((3000-2000)^2 + (1000-2000)^2) / 1 = 2,000,000.
    # Total: 0 closed + 5000 + 2500 (the open deals) + 2000 = 9500.
    # Variance: 25,000,000 + 3,750,000 + 2,000,000 = 30,750,000; sd = 5545.27;
    # p10 = 9500 - 1.2815516 x 5545.272 = 2393.453, p90 = 9500 + 7106.547 = 16606.547: in cents 2393.45 and 16606.55.
    sd = math.sqrt(30_750_000)
    for node in ("company", "u_vp", "u_ae"):
        closed_won, commit, from_open, from_new, pulled_in, total, p10, p90, quarters = expected_rows(con)[node]
        assert (closed_won, commit, from_open, from_new, pulled_in, quarters) == (0, 14000, 7500, 2000, 0, 2), node
        assert total == pytest.approx(9500)
        assert p10 == pytest.approx(9500 - Z_90 * sd, abs=0.005) and p10 == pytest.approx(2393.45, abs=0.001)
        assert p90 == pytest.approx(9500 + Z_90 * sd, abs=0.005) and p90 == pytest.approx(16606.55, abs=0.001)


def test_no_forecast_without_history(expected_won):
    con, _ = expected_won
    # FY2025-Q4 at Nov 30: no closed quarter before it had a deal open at a week end, so the open deals
    # have no probability: the expected forecast is null, not a guess.
    got = rows(con, "select expected_from_open, expected_total, expected_p10 from marts.mart_forecast_expected "
                    "where node_id = 'company' and as_of_week_end = '2025-11-30' and fiscal_quarter = 'FY2025-Q4'")
    assert got == [(None, None, None)]


def test_a_later_outcome_does_not_change_an_earlier_forecast(expected_won, expected_lost):
    won, _ = expected_won
    lost, _ = expected_lost
    earlier = "select * from marts.mart_forecast_expected where as_of_week_end <= ? order by all"
    assert rows(won, earlier, [AS_OF]) == rows(lost, earlier, [AS_OF])
    assert rows(won, earlier, [AS_OF]), "no earlier rows to compare"
    # The outcome is learned once its quarter has closed: FY2026-Q1's table has O1 (Qualification) won
    # in one build and lost in the other: Qualification 4 of 7 vs 3 of 7.
    assert (QUAL, None, None, None, None, 7, 4, pytest.approx(4 / 7)) in list(probabilities(won, Q1_LAST_WEEK_END, 4))
    assert (QUAL, None, None, None, None, 7, 3, pytest.approx(3 / 7)) in list(probabilities(lost, Q1_LAST_WEEK_END, 4))


def test_the_backtest_of_the_hand_made_quarters(expected_won):
    con, _ = expected_won
    got = rows(con, """
        select fiscal_quarter, actual_closed_won, commit_call, expected_call, commit_accuracy, expected_accuracy,
               expected_bias, commit_mape, commit_mape_quarters, expected_mape, expected_mape_quarters
        from marts.mart_forecast_accuracy where node_id = 'company' and week_of_quarter = 9 order by fiscal_quarter""")
    q3, q4, q1 = got
    # Week 9: Aug 31 (Q3), Nov 30 (Q4), Mar 1 (Q1).  Q3: nothing open, actual N3 3000: commit 0, off by 100%.
    assert q3[:4] == ("FY2025-Q3", 3000, 0, None) and q3[4] == pytest.approx(0)
    # Q4: commit = H1..H8 (all include) 80000 vs actual H1-H3, H7, H8 + N4 = 51000: 1 - 29000/51000.
    assert q4[:4] == ("FY2025-Q4", 51000, 80000, None) and q4[4] == pytest.approx(1 - 29 / 51)
    # Q1: O1 won, 10000: commit 14000 (0.6), expected 9500 (1 - 500/10000 = 0.95, bias -500).
    assert q1[:3] == ("FY2026-Q1", 10000, 14000)
    assert q1[3:7] == (pytest.approx(9500), pytest.approx(0.6), pytest.approx(0.95), pytest.approx(-500))
    # MAPE over the three closed quarters: commit (1 + 29/51 + 0.4) / 3; expected only Q1's 0.05.
    assert q1[7:] == (pytest.approx((1 + 29 / 51 + 0.4) / 3), 3, pytest.approx(0.05), 1)


# ----------------------------------------------------------------------------- generated

def test_the_commit_accuracy_is_the_rollups_for_every_closed_quarter(small_warehouse):
    # The calls scored are those made during the quarter (the roll-up's `current` rows).
    con = small_warehouse
    rollup = rows(con, "select fiscal_quarter, node_id, week_of_quarter, commit, closed_won, is_last_week_of_quarter "
                       "from marts.mart_forecast_rollup where is_quarter_closed and quarter_relation = 'current'")
    actual = {(q, n): won for q, n, _, _, won, last in rollup if last}
    expected = {(q, n): e for q, n, e in rows(con, "select fiscal_quarter, node_id, expected_total "
                                                      "from marts.mart_forecast_expected")}
    accuracy = {(q, n, w): (c, e) for q, n, w, c, e in rows(
        con, "select fiscal_quarter, node_id, week_of_quarter, commit_accuracy, expected_accuracy "
             "from marts.mart_forecast_accuracy")}
    assert len(accuracy) == len(rollup) and {q for q, *_ in rollup} >= {"FY2026-Q1", "FY2026-Q2"}
    for quarter, node, week, commit, _, _ in rollup:
        a = actual[quarter, node]
        want = None if a == 0 else 1 - abs(float(commit) - float(a)) / float(a)
        got = accuracy[quarter, node, week][0]
        assert (got is None and want is None) or got == pytest.approx(want), (quarter, node, week)
    assert expected  # the expected forecast has rows for the same nodes (grain test in dbt)


def test_the_accuracy_command_prints_the_mape_table(small_refresh):
    folder, _ = small_refresh
    proc = run_funnelcast("accuracy", config=folder / "funnelcast.yaml", dagster_home=folder / "dagster_home",
                          check=True)
    import duckdb

    with duckdb.connect(str(folder / "warehouse" / "funnelcast.duckdb"), read_only=True) as con:
        latest, = con.execute("select max(fiscal_quarter) from marts.mart_forecast_accuracy").fetchone()
        want = con.execute("select week_of_quarter, commit_mape, expected_mape from marts.mart_forecast_accuracy "
                           "where node_id = 'company' and fiscal_quarter = ? order by 1", [latest]).fetchall()
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("MAPE over the last four closed quarters, node company")
    table = [line.split() for line in lines[2:]]
    assert [int(t[0]) for t in table] == [w for w, _, _ in want]
    for cells, (_, commit, expected) in zip(table, want):
        for cell, value in ((cells[1], commit), (cells[2], expected)):
            assert cell == ("-" if value is None else f"{100 * value:.1f}%")


def test_the_readme_query_shows_the_expected_forecast_next_to_the_call(expected_won):
    con, _ = expected_won
    got = rows(con, readme_query("## The expected forecast next to the reps' call"))
    # The latest week end, Apr 12, is week 2 of FY2026-Q2 (last week end Jul 5, 12 weeks later): nothing
    # is open or closed in it, so it is all new business, 12 weeks before the last week end, of the two
    # closed quarters that reach back that far: FY2026-Q1 at Jan 11 (O1, created Feb 23, won: 10000)
    # and FY2025-Q4 at Oct 12 (H1..H3, H7, H8 and N4: 51000).  Mean 30500; sample variance
    # 2 x 20500^2 = 840,500,000, sd 28991.4; p10 = 30500 - 37153.9 < 0 is clipped at closed won (0),
    # p90 = 30500 + 37153.9 = 67653.9.
    # (Only this quarter's rows: a week end may also report the next quarter.)
    assert [row for row in got if row[0] == "FY2026-Q2"] == [
        ("FY2026-Q2", "Company", 0, 0, 0, 30500, 0, 67654, 2),
        ("FY2026-Q2", "Vera Price", 0, 0, 0, 30500, 0, 67654, 2),
    ]
