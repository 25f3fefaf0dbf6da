"""Every case of the broken-export corpus: loaded, quarantined or failed, never silently lost."""

from __future__ import annotations

import duckdb
import pytest

from ingest.load import load_kind
from tests.bad_exports import CASES, Case


def records_in(case: Case) -> int:
    """The data records of a CSV case, counted by Python's csv module: independent of the loader."""
    import csv
    import gzip
    import io

    content = gzip.decompress(case.content) if case.file_name.endswith(".gz") else case.content
    csv.field_size_limit(1 << 30)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig", errors="replace"), newline="")))
    return sum(1 for r in rows[1:] if r)


def load_case(case: Case, tmp_path) -> tuple[duckdb.DuckDBPyConnection, object]:
    folder = tmp_path / "landing" / case.drop
    folder.mkdir(parents=True)
    (folder / case.file_name).write_bytes(case.content)
    con = duckdb.connect()
    return con, load_kind(con, tmp_path / "landing", case.kind)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_export(case: Case, tmp_path):
    con, result = load_case(case, tmp_path)
    loaded = con.execute(f"SELECT count(*) FROM raw.{case.kind}").fetchone()[0]
    quarantined = con.execute(
        "SELECT list(DISTINCT line ORDER BY line), string_agg(coalesce(column_name, '') || ' ' || coalesce(raw_value, '') || ' ' || reason, ' | ') "
        "FROM raw.rejected_rows"
    ).fetchone()
    if case.outcome == "fail":
        assert len(result.errors) == 1, result
        for needle in case.message_has:
            assert needle in result.errors[0], result.errors[0]
        assert loaded == 0 and con.execute("SELECT count(*) FROM raw.load_log").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM raw.rejected_rows").fetchone()[0] == 0
        return
    assert result.errors == []
    assert loaded == case.rows_loaded
    log = con.execute("SELECT rows_read, rows_loaded, rows_rejected FROM raw.load_log").fetchone()
    # Nothing silently dropped: every record read is either in raw or in the quarantine.
    assert log == (case.rows_loaded + len(case.quarantined_lines), case.rows_loaded, len(case.quarantined_lines))
    if not case.file_name.endswith(".parquet"):
        # ... and "read" is every record of the file, as another CSV reader counts them.
        assert log[0] == records_in(case)
    if case.outcome == "quarantine":
        assert quarantined[0] == list(case.quarantined_lines)
        for needle in case.message_has:
            assert needle in quarantined[1], quarantined[1]
    else:
        assert quarantined[0] is None or quarantined[0] == []


def test_good_rows_keep_their_true_line_after_a_rejected_one(tmp_path):
    case = next(c for c in CASES if c.name == "Latin-1 bytes on one line")
    folder = tmp_path / "landing" / case.drop
    folder.mkdir(parents=True)
    # The bad line in the middle: the lines after it must still point at themselves.
    lines = case.content.split(b"\n")
    bad = lines[-2]
    content = b"\n".join([*lines[:11], bad, *lines[11:-2]]) + b"\n"
    (folder / "users.csv").write_bytes(content)
    con = duckdb.connect()
    assert load_kind(con, tmp_path / "landing", "users").errors == []
    # One quarantine row per bad value: José and Müller are both Latin-1.
    assert con.execute("SELECT DISTINCT line FROM raw.rejected_rows").fetchall() == [(12,)]
    by_line = dict(con.execute("SELECT _line, id FROM raw.users").fetchall())
    assert by_line[11] == "u10" and by_line[13] == "u11" and 12 not in by_line


def test_formula_values_are_kept_verbatim_as_text(tmp_path):
    case = next(c for c in CASES if c.name == "a value beginning with =")
    con, _ = load_case(case, tmp_path)
    assert con.execute("SELECT user_name FROM raw.users WHERE id = 'u99'").fetchone()[0] == '=HYPERLINK("http://x","y")'


def test_a_drop_that_disappears_before_the_run_reads_it(tmp_path, monkeypatch):
    import ingest.load as load

    folder = tmp_path / "landing" / "2026-01-12"
    folder.mkdir(parents=True)
    (folder / "users.csv").write_text("id,user_name\nu1,a\n", encoding="utf-8")
    real_find_files = load.find_files

    def find_then_vanish(landing, kind, *args):
        found = real_find_files(landing, kind, *args)
        for f in found:  # the sensor saw it; the exporter pulled it back before the read
            f.path.unlink()
        folder.rmdir()
        return found

    monkeypatch.setattr(load, "find_files", find_then_vanish)
    con = duckdb.connect()
    result = load.load_kind(con, tmp_path / "landing", "users")
    assert len(result.errors) == 1 and "disappeared" in result.errors[0]
    assert con.execute("SELECT count(*) FROM raw.users").fetchone()[0] == 0


# --------------------------------------------------------------------------- reported by dbt tests
# Rows that parse but make no business sense load, and a warn-severity dbt test
# reports each, so the run still publishes and the Dagster UI shows the warning.

OPP = {"date_entered": "2026-01-02 09:00:00", "date_modified": "2026-01-02 09:00:00", "assigned_user_id": "u1",
       "currency_id": "USD", "date_closed": "2026-03-31", "sales_stage": "Prospecting"}
NONSENSE = {
    "2026-01-05": {
        "users": [{"id": "u1", "user_name": "rep"},
                  # a reports_to cycle: ua -> ub -> ua
                  {"id": "ua", "user_name": "a", "reports_to_id": "ub"}, {"id": "ub", "user_name": "b", "reports_to_id": "ua"}],
        "leads": [{"id": "L1", "date_entered": "2026-01-01 08:00:00", "date_modified": "2026-01-01 08:00:00", "status": "New"}],
        "opportunities": [
            {**OPP, "id": "o_ok", "name": "fine", "amount": "100"},
            {**OPP, "id": "o_neg", "name": "negative", "amount": "-500"},
            {**OPP, "id": "o_2999", "name": "placeholder close", "amount": "100", "date_closed": "2999-12-31"},
            {**OPP, "id": "o_stage", "name": "unknown stage", "amount": "100", "sales_stage": "Discovery"},
            {**OPP, "id": "o_dup", "name": "first copy", "amount": "100"},
            {**OPP, "id": "o_dup", "name": "second copy", "amount": "900"},
        ],
        "opportunities_audit": [
            {"id": "a1", "parent_id": "o_ghost", "date_created": "2026-01-03 10:00:00", "field_name": "amount",
             "before_value_string": "1", "after_value_string": "2"},
        ],
    },
}


@pytest.fixture(scope="module")
def nonsense_build(tmp_path_factory):
    from tests.warehouse import build_warehouse

    work = tmp_path_factory.mktemp("nonsense")
    db, proc = build_warehouse(work, NONSENSE, select=["path:models/staging", "int_opportunity_changes",
                                                       "int_opportunity_stage_visits", "+int_user_hierarchy", "path:tests/quality"])
    return db, proc.stdout


def warn_count(dbt_output: str, test_prefix: str) -> int | None:
    import re

    found = re.search(rf"WARN (\d+) {re.escape(test_prefix)}\S* ", dbt_output)
    return int(found.group(1)) if found else None


@pytest.mark.parametrize(
    ("defect", "test_prefix", "rows"),
    [
        ("a negative amount", "assert_opportunity_amounts_not_negative", 1),
        ("a close date in 2999", "assert_close_dates_plausible", 1),
        ("duplicate ids with the same date_modified", "assert_no_conflicting_versions", 1),
        ("an audit row for an opportunity that does not exist", "relationships_stg_sugarcrm__opportunities_audit_", 1),
        ("a reports_to cycle", "assert_user_hierarchy_is_clean", 2),
    ],
)
def test_nonsense_that_parses_is_reported_by_a_dbt_test(nonsense_build, defect, test_prefix, rows):
    _, output = nonsense_build
    assert warn_count(output, test_prefix) == rows, f"{defect}: expected a warning from {test_prefix}"


def test_a_stage_missing_from_the_stage_map_is_named_with_its_rows_and_an_example(nonsense_build):
    from ingest.vocabularies import unknown_values

    db, _ = nonsense_build
    with duckdb.connect(str(db), read_only=True) as con:
        unknown = unknown_values(con)
    assert [(u.vocabulary, u.value, u.used_in, u.rows, u.example_opportunity_id) for u in unknown] == [
        ("stage_map", "Discovery", "opportunities.sales_stage", 1, "o_stage")]


def test_nonsense_is_kept_not_dropped(nonsense_build):
    db, _ = nonsense_build
    with duckdb.connect(str(db), read_only=True) as con:
        ids = {r[0] for r in con.execute("SELECT opportunity_id FROM staging.stg_sugarcrm__opportunities").fetchall()}
        assert ids == {"o_ok", "o_neg", "o_2999", "o_stage", "o_dup"}
        # The tie is broken by the later line, deterministically.
        assert con.execute("SELECT amount FROM staging.stg_sugarcrm__opportunities WHERE opportunity_id = 'o_dup'").fetchone()[0] == 900
