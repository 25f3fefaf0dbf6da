"""An opportunity's stage history (int_opportunity_changes, int_opportunity_stage_visits)
on a real DuckDB file, built by the real dbt.

Built once per session from the hand-made staging drop set (tests/drops/staging.py: a full
export, then a weekly delta with updates and deletions) with the real loader and `dbt build`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.warehouse import rows


# ----------------------------------------------------------------------------- (a) stage history


def test_stage_history_has_every_visit_including_the_creation_stage(staging_handmade):
    con, _ = staging_handmade
    visits = rows(
        con,
        """
        select visit_seq, stage, stage_order, milestone, visit_number, entered_at, exited_at,
               previous_stage, next_stage, is_regression, is_current, days_in_stage
        from intermediate.int_opportunity_stage_visits
        where opportunity_id = 'O1' order by visit_seq
        """,
    )
    t = dt.datetime
    assert visits == [
        (1, "Prospecting", 1, "srl", 1, t(2026, 1, 1, 9), t(2026, 1, 2, 10), None, "Qualification", False, False,
         pytest.approx(25 / 24)),
        (2, "Qualification", 2, "sql", 1, t(2026, 1, 2, 10), t(2026, 1, 3, 11), "Prospecting", "Prospecting", False,
         False, pytest.approx(25 / 24)),
        # Back to the first stage: its second visit, a regression; the no-op save at 13:00 is not a visit.
        (3, "Prospecting", 1, "srl", 2, t(2026, 1, 3, 11), t(2026, 1, 4, 12), "Qualification", "Closed Won", True,
         False, pytest.approx(25 / 24)),
        (4, "Closed Won", 9, "won", 1, t(2026, 1, 4, 12), None, "Prospecting", None, False, True, None),
    ]


def test_an_opportunity_that_never_changed_stage_has_one_visit_since_creation(staging_handmade):
    con, _ = staging_handmade
    assert rows(
        con,
        "select stage, entered_at, exited_at, visit_number from intermediate.int_opportunity_stage_visits "
        "where opportunity_id = 'O3'",
    ) == [("Qualification", dt.datetime(2026, 1, 6, 9), None, 1)]


def test_changes_start_with_the_value_at_creation(staging_handmade):
    con, _ = staging_handmade
    # O1's amount changed once (1000 -> 1500): created at 1000.  Its commit_stage was
    # created as 'upside'.  O3's owner changed: created with u_rep1.  O2 never changed.
    creation = dict(
        ((opp, field), value)
        for opp, field, value in rows(
            con,
            "select opportunity_id, field_name, value_after from intermediate.int_opportunity_changes "
            "where is_creation",
        )
    )
    assert creation[("O1", "amount")] == "1000"
    assert creation[("O1", "commit_stage")] == "upside"
    assert creation[("O1", "sales_stage")] == "Prospecting"
    assert creation[("O3", "assigned_user_id")] == "u_rep1"
    assert creation[("O2", "assigned_user_id")] == "u_rep2"
    assert creation[("O2", "date_closed")] == "2026-03-31"
    assert rows(
        con,
        "select change_seq, changed_at, value_before, value_after, is_creation from intermediate.int_opportunity_changes "
        "where opportunity_id = 'O1' and field_name = 'amount' order by change_seq",
    ) == [
        (0, dt.datetime(2026, 1, 1, 9), None, "1000", True),
        (1, dt.datetime(2026, 1, 3, 12), "1000", "1500", False),
    ]
    # The deleted opportunity's history is not carried into the intermediate layer.
    assert rows(con, "select count(*) from intermediate.int_opportunity_changes where opportunity_id = 'O4'") == [(0,)]


def test_a_stage_missing_from_the_stage_map_keeps_its_name_and_is_reported(staging_handmade):
    from ingest.vocabularies import unknown_values

    con, output = staging_handmade
    assert rows(
        con,
        "select stage, stage_order, milestone from intermediate.int_opportunity_stage_visits where opportunity_id = 'O5'",
    ) == [("Discovery", None, None)]
    # The run stops on it before dbt (orchestration/assets/raw.py, vocabularies).
    assert [(u.value, u.example_opportunity_id) for u in unknown_values(con) if u.vocabulary == "stage_map"] == [
        ("Discovery", "O5")]
