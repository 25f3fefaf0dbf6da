"""The raw load's integrity (issue 12): corrupt files, records counted twice, file lines,
versions without a version value, decimal precision, implausible timestamps, drop names
and contract messages instead of internal errors.

Every test loads with the real loader into a real DuckDB file; expected values are
worked out by hand from the file written (or counted with Python's csv module), never
read back from the loader.  tests/bad_exports.py holds the single-file cases.
"""

from __future__ import annotations

import csv
import gzip
import io
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from funnelcast.settings import load_settings
from ingest.drops import find_drops, misnamed_drops
from ingest.load import RejectPolicy, load_kind
from ingest.mapping import load_mapping
from tests.bad_exports import OPP_HEADER, USERS_HEADER, csv_bytes, flip_bit, gz, opp_rows, users_rows


def put(landing: Path, drop: str, name: str, content: bytes) -> Path:
    folder = landing / drop
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    return folder / name


def log_of(con) -> list[tuple]:
    return con.execute("SELECT drop_name, file_name, rows_read, rows_loaded, rows_rejected FROM raw.load_log ORDER BY 1, 2").fetchall()


# --------------------------------------------------------------------------- class 11: file lines


def multiline_opps() -> tuple[list[str], dict[str, int]]:
    """40 deals; deal o5's name spans 3 lines and o12's 2 lines (CRLF inside); the line where each record starts."""
    rows, lines, line = [], {}, 2
    for i, row in enumerate(opp_rows(), start=1):
        if i == 5:
            row = row.replace("Deal 5", '"Deal 5\nsecond line\nthird, with a comma"')
        if i == 12:
            row = row.replace("Deal 12", '"Deal 12 ""quoted""\r\nnext"')
        rows.append(row)
        lines[f"o{i}"] = line
        line += 1 + row.count("\n")
    return rows, lines


@pytest.mark.parametrize("file_name", ["opportunities.csv", "opportunities.csv.gz"])
def test_rows_keep_their_file_line_after_values_spanning_lines(tmp_path, file_name):
    rows, expected = multiline_opps()
    bad = "o99,Deal 99,2026-01-02 09:00:00,2026-01-10 09:00:00,u1,12.00,USD,31/03/2026,Prospecting,upside"
    rows.insert(20, bad)  # after o20, which starts on expected["o20"]: o21 and later move one line down
    expected = {k: v + (1 if int(k[1:]) > 20 else 0) for k, v in expected.items()}
    bad_line = expected["o20"] + 1
    content = csv_bytes(OPP_HEADER, rows)
    put(tmp_path / "landing", "2026-01-12", file_name, gz(content) if file_name.endswith(".gz") else content)
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    assert load_kind(con, tmp_path / "landing", "opportunities").errors == []
    got = dict(con.execute("SELECT id, _line FROM raw.opportunities").fetchall())
    assert got == expected
    assert expected["o6"] == 9 and expected["o40"] == 45  # by hand: o5 takes lines 6-8, o12 lines 15-16, the bad row line 24
    assert con.execute("SELECT DISTINCT line, column_name FROM raw.rejected_rows").fetchall() == [(bad_line, "date_closed")]
    assert log_of(con) == [("2026-01-12", file_name, 41, 40, 1)]
    # The line is one a user can open the file at: it holds the record's id.
    text = content.decode().split("\n")
    assert text[got["o13"] - 1].startswith("o13,") and text[bad_line - 1].startswith("o99,")


def test_a_reader_reject_after_blank_lines_and_a_long_value_names_its_own_line(tmp_path):
    rows = users_rows()
    rows[3] = 'u4,user4,"First\n\nFour",Last4,'  # a value with an empty line inside: lines 5-7
    rows.insert(10, "")  # a blank line 14
    rows.insert(20, "u98,too,many,fields,here,and,more")  # before u20: u19 is on line 23, this on 24
    put(tmp_path / "landing", "2026-01-12", "users.csv", csv_bytes(USERS_HEADER, rows))
    con = duckdb.connect()
    assert load_kind(con, tmp_path / "landing", "users").errors == []
    assert con.execute("SELECT DISTINCT line FROM raw.rejected_rows").fetchall() == [(24,)]
    lines = dict(con.execute("SELECT id, _line FROM raw.users").fetchall())
    assert (lines["u4"], lines["u5"], lines["u10"], lines["u11"], lines["u19"], lines["u20"]) == (5, 8, 13, 15, 23, 25)
    assert log_of(con) == [("2026-01-12", "users.csv", 41, 40, 1)]


def test_parquet_lines_are_row_numbers_and_the_footer_count_is_checked(tmp_path):
    folder = tmp_path / "landing" / "2026-01-12"
    folder.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 'u' || i AS id, 'user' || i AS user_name FROM range(1, 1001) t(i)) TO '{folder / 'users.parquet'}' "
               "(FORMAT parquet, ROW_GROUP_SIZE 100)")
    con = duckdb.connect()
    assert load_kind(con, tmp_path / "landing", "users").errors == []
    assert con.execute("SELECT count(*), min(_line), max(_line), count(*) FILTER (WHERE id = 'u' || _line) FROM raw.users").fetchone() == (1000, 1, 1000, 1000)


# --------------------------------------------------------------------------- class 1: integrity, through a mapping too


LOOKUP_MAPPING = """\
kinds:
  leads:
    files: [mqls.csv]
    lookups: [{name: deal, files: [deals.csv*], key: mql_id, on: mql_id}]
    columns:
      id: mql_id
      date_entered: first_contact
      date_modified: first_contact
      status: {column: deal.mql_id, present: Converted, absent: New}
      assigned_user_id: deal.sdr
"""


def test_a_corrupt_lookup_file_of_a_mapping_fails_the_file_it_feeds(tmp_path):
    landing = tmp_path / "landing"
    mqls = csv_bytes("mql_id,first_contact", [f"m{i},2021-01-{1 + i % 28:02d}" for i in range(500)])
    deals = csv_bytes("mql_id,sdr", [f"m{i},s{i % 7}" for i in range(0, 500, 2)])
    put(landing, "2021-07-18", "mqls.csv", mqls)
    put(landing, "2021-07-18", "deals.csv.gz", flip_bit(gz(deals), 0.6))
    (tmp_path / "m.yaml").write_text(LOOKUP_MAPPING, encoding="utf-8")
    mapping = load_mapping(tmp_path / "m.yaml")
    con = duckdb.connect()
    result = load_kind(con, landing, "leads", mapping=mapping)
    assert len(result.errors) == 1 and "2021-07-18/deals.csv.gz" in result.errors[0] and "corrupt" in result.errors[0]
    assert con.execute("SELECT count(*) FROM raw.leads").fetchone()[0] == 0
    # The remedy: the file copied again (intact) loads, every record counted.
    put(landing, "2021-07-18", "deals.csv.gz", gz(deals))
    assert load_kind(con, landing, "leads", mapping=mapping).errors == []
    assert con.execute("SELECT count(*), count(*) FILTER (WHERE status = 'Converted') FROM raw.leads").fetchone() == (500, 250)
    assert log_of(con) == [("2021-07-18", "mqls.csv", 500, 500, 0)]


def test_a_mapped_file_with_an_unclosed_quote_fails_naming_the_line(tmp_path):
    landing = tmp_path / "landing"
    rows = [f"m{i},2021-01-{1 + i % 28:02d}" for i in range(40)]
    rows[30] = 'm30,"2021-01-03'
    put(landing, "2021-07-18", "mqls.csv", csv_bytes("mql_id,first_contact", rows))
    put(landing, "2021-07-18", "deals.csv", b"mql_id,sdr\nm1,s1\n")
    (tmp_path / "m.yaml").write_text(LOOKUP_MAPPING, encoding="utf-8")
    result = load_kind(duckdb.connect(), landing, "leads", mapping=load_mapping(tmp_path / "m.yaml"))
    assert len(result.errors) == 1
    assert "2021-07-18/mqls.csv" in result.errors[0] and "line 32" in result.errors[0] and "never closed" in result.errors[0]


def test_the_integrity_check_reads_a_large_gzip_file_quickly(tmp_path):
    """Figures for the report: the CRC check streams the file; it must not dominate the load."""
    import time

    rows = opp_rows(200_000)
    content = gz(csv_bytes(OPP_HEADER, rows))
    put(tmp_path / "landing", "2026-01-12", "opportunities.csv.gz", content)
    from ingest.drops import DropFile
    from ingest.load import verify_integrity

    started = time.perf_counter()
    verify_integrity(DropFile("2026-01-12", "opportunities", tmp_path / "landing" / "2026-01-12" / "opportunities.csv.gz"))
    check = time.perf_counter() - started
    con = duckdb.connect()
    started = time.perf_counter()
    assert load_kind(con, tmp_path / "landing", "opportunities").errors == []
    load = time.perf_counter() - started
    assert log_of(con) == [("2026-01-12", "opportunities.csv.gz", 200_000, 200_000, 0)]
    assert check < max(1.0, 0.5 * load), (check, load)


# --------------------------------------------------------------------------- class 5: the timestamp window is a setting


def test_the_timestamp_window_comes_from_the_settings(tmp_path, monkeypatch):
    from datetime import datetime, timedelta

    ahead = (datetime.now() + timedelta(days=400)).strftime("%Y-%m-%d 09:00:00")  # beyond the default 366 days
    rows = opp_rows()
    rows[0] = rows[0].replace("2026-01-02 09:00:00", "1975-06-01 09:00:00")  # date_entered, line 2
    rows[1] = rows[1].replace("2026-01-10 09:00:00", ahead)  # date_modified, line 3
    put(tmp_path / "landing", "2026-01-12", "opportunities.csv", csv_bytes(OPP_HEADER, rows))
    con = duckdb.connect()
    assert load_kind(con, tmp_path / "landing", "opportunities").errors == []
    rejected = con.execute("SELECT line, column_name, reason FROM raw.rejected_rows ORDER BY line").fetchall()
    assert [(line, col) for line, col, _ in rejected] == [(2, "date_entered"), (3, "date_modified")]
    assert "timestamp_earliest" in rejected[0][2] and "timestamp_max_days_ahead" in rejected[1][2]
    assert log_of(con) == [("2026-01-12", "opportunities.csv", 40, 38, 2)]
    # A settings file widens the window: both rows load.
    (tmp_path / "funnelcast.yaml").write_text("timestamp_earliest: 1970-01-02\ntimestamp_max_days_ahead: 3650\n", encoding="utf-8")
    monkeypatch.setenv("FUNNELCAST_CONFIG", str(tmp_path / "funnelcast.yaml"))
    policy = load_settings().reject_policy()
    assert (policy.timestamp_earliest, policy.timestamp_max_days_ahead) == (date(1970, 1, 2), 3650)
    put(tmp_path / "landing2", "2026-01-12", "opportunities.csv", csv_bytes(OPP_HEADER, rows))
    con2 = duckdb.connect()
    assert load_kind(con2, tmp_path / "landing2", "opportunities", policy).errors == []
    assert log_of(con2) == [("2026-01-12", "opportunities.csv", 40, 40, 0)]
    # epoch itself (1970-01-01) is still outside this window.
    rows[2] = rows[2].replace("2026-01-10 09:00:00", "epoch")
    put(tmp_path / "landing3", "2026-01-12", "opportunities.csv", csv_bytes(OPP_HEADER, rows))
    con3 = duckdb.connect()
    assert load_kind(con3, tmp_path / "landing3", "opportunities", policy).errors == []
    assert con3.execute("SELECT line, column_name, raw_value FROM raw.rejected_rows").fetchall() == [(4, "date_modified", "epoch")]


def test_a_mapped_timestamp_far_in_the_future_is_rejected_with_its_reason(tmp_path):
    landing = tmp_path / "landing"
    rows = [f"m{i},{1 + i % 28:02d}/01/2021" for i in range(40)]
    rows[7] = "m7,31/12/9999"
    put(landing, "2021-07-18", "mqls.csv", csv_bytes("mql_id,first_contact", rows))
    (tmp_path / "m.yaml").write_text(textwrap.dedent("""\
        kinds:
          leads:
            files: [mqls.csv]
            columns:
              id: mql_id
              date_entered: {column: first_contact, formats: ['%d/%m/%Y']}
              date_modified: {column: first_contact, formats: ['%d/%m/%Y']}
              status: {value: New}
        """), encoding="utf-8")
    con = duckdb.connect()
    assert load_kind(con, landing, "leads", mapping=load_mapping(tmp_path / "m.yaml")).errors == []
    rejected = con.execute("SELECT DISTINCT line, raw_value FROM raw.rejected_rows").fetchall()
    assert rejected == [(9, "31/12/9999")]
    assert "timestamp_max_days_ahead" in con.execute("SELECT any_value(reason) FROM raw.rejected_rows").fetchone()[0]
    assert log_of(con) == [("2021-07-18", "mqls.csv", 40, 39, 1)]


# --------------------------------------------------------------------------- class 8: drop names


def test_misnamed_drop_folders_are_reported_and_not_loaded(tmp_path):
    landing = tmp_path / "landing"
    for drop in ("2026-11-16", "2026-11-23T0600", "2026-11-23_2", "latest", "2026-13-01", "_incoming", "week 48"):
        put(landing, drop, "users.csv", csv_bytes(USERS_HEADER, users_rows(3)))
    put(landing, "backup", "notes.txt", b"not an export")
    assert find_drops(landing, None) == ["2026-11-16", "2026-11-23T0600", "2026-11-23_2"]
    assert misnamed_drops(landing) == ["2026-13-01", "backup", "latest", "week 48"]
    con = duckdb.connect()
    result = load_kind(con, landing, "users")
    assert sorted(f.drop for f in result.files) == ["2026-11-16", "2026-11-23T0600", "2026-11-23_2"]
    # One error per misnamed folder holding a users file, naming it and the pattern.
    assert len(result.errors) == 3
    for name, error in zip(["2026-13-01", "latest", "week 48"], result.errors):
        assert error.startswith(f"{name}/") and "users.csv" in error and "drop_name_pattern" in error
    assert con.execute("SELECT list(DISTINCT _drop ORDER BY _drop) FROM raw.users").fetchone()[0] == [
        "2026-11-16", "2026-11-23T0600", "2026-11-23_2"]
    # The remedy: renamed to a dated name, the drop loads on the next run.
    (landing / "latest").rename(landing / "2026-11-30")
    result = load_kind(con, landing, "users")
    assert [f.drop for f in result.files if not f.skipped] == ["2026-11-30"] and len(result.errors) == 2


def test_the_drop_name_pattern_is_a_setting_the_sensor_sees_too(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    for drop in ("week-07", "week-08", "2026-11-23"):
        put(landing, drop, "users.csv", csv_bytes(USERS_HEADER, users_rows(2)))
    (tmp_path / "funnelcast.yaml").write_text("drop_name_pattern: 'week-\\d{2}'\n", encoding="utf-8")
    monkeypatch.setenv("FUNNELCAST_CONFIG", str(tmp_path / "funnelcast.yaml"))
    # The sensor and the loader are handed the setting (orchestration/sensors.py, RejectPolicy).
    assert find_drops(landing, load_settings().drop_name_pattern) == ["week-07", "week-08"]
    assert find_drops(landing) == ["2026-11-23"]  # the default pattern: a date
    result = load_kind(duckdb.connect(), landing, "users", load_settings().reject_policy())
    assert [f.drop for f in result.files] == ["week-07", "week-08"] and len(result.errors) == 1
    assert "2026-11-23/" in result.errors[0]
    with pytest.raises(ValueError, match="drop_name_pattern"):
        (tmp_path / "bad.yaml").write_text("drop_name_pattern: '(unclosed'\n", encoding="utf-8")
        load_settings(tmp_path / "bad.yaml")


# --------------------------------------------------------------------------- class 12: the record size limit


@pytest.mark.parametrize("file_name", ["users.csv", "users.csv.gz"])
def test_the_record_size_limit_is_a_setting_and_its_message_names_it(tmp_path, file_name):
    rows = [*users_rows(), 'u99,big,"' + "y" * 3_000_000 + '",Long,']
    content = csv_bytes(USERS_HEADER, rows)
    put(tmp_path / "landing", "2026-01-12", file_name, gz(content) if file_name.endswith(".gz") else content)
    con = duckdb.connect()
    small = RejectPolicy(csv_max_record_bytes=1 << 20)
    assert load_kind(con, tmp_path / "landing", "users", small).errors == []
    line, reason = con.execute("SELECT DISTINCT line, reason FROM raw.rejected_rows").fetchone()
    assert line == 42 and "csv_max_record_bytes" in reason and str(1 << 20) in reason
    assert log_of(con) == [("2026-01-12", file_name, 41, 40, 1)]
    # With the default (64 MiB) the same record loads, whole.
    con2 = duckdb.connect()
    assert load_kind(con2, tmp_path / "landing", "users").errors == []
    assert con2.execute("SELECT length(first_name) FROM raw.users WHERE id = 'u99'").fetchone()[0] == 3_000_000


# --------------------------------------------------------------------------- class 4: decimals keep their precision


def test_rates_keep_their_digits_in_csv_gzip_and_parquet(tmp_path):
    landing = tmp_path / "landing"
    put(landing, "2026-01-05", "currency_rates.csv", b"currency_id,date,rate\nIDR,2026-01-01,0.00006137\nVND,2026-01-01,0.0000394\n")
    put(landing, "2026-01-12", "currency_rates.csv.gz", gz(b"currency_id,date,rate\nIRR,2026-01-01,0.000023752\n"))
    folder = landing / "2026-01-19"
    folder.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 'LAK' AS currency_id, DATE '2026-01-01' AS date, 0.0000462519::DOUBLE AS rate) TO "
               f"'{folder / 'currency_rates.parquet'}' (FORMAT parquet)")
    con = duckdb.connect()
    assert load_kind(con, landing, "currency_rates").errors == []
    assert dict(con.execute("SELECT currency_id, rate FROM raw.currency_rates").fetchall()) == {
        "IDR": Decimal("0.00006137"), "VND": Decimal("0.0000394"), "IRR": Decimal("0.000023752"), "LAK": Decimal("0.0000462519")}


# --------------------------------------------------------------------------- classes 3 and 4 through dbt


@pytest.fixture(scope="module")
def versions_and_rates(tmp_path_factory):
    """Drops written by hand (some files without date_modified), loaded, and staging built by dbt."""
    from tests.warehouse import dbt_build, load_landing

    work = tmp_path_factory.mktemp("integrity_dbt")
    landing = work / "landing"
    users1 = "id,user_name,reports_to_id,date_modified\nu1,ann,,2026-01-05 10:00:00\nu2,bob,u1,2026-01-05 10:00:00\n" \
             "u3,cid,u1,2026-01-05 10:00:00\nu4,dan,u1,2026-01-05 10:00:00\nu5,eve,u1,\n"
    # A delta without the optional date_modified: bob moves under cid.
    users2 = "id,user_name,reports_to_id\nu2,bob,u3\n"
    # A delta with the column: dan's cell is empty (moves under bob), cid's is older than drop 1's
    # (a stale re-send: the contract's latest date_modified wins), eve had none and now has one.
    users3 = "id,user_name,reports_to_id,date_modified\nu4,dan,u2,\nu3,cid,u2,2025-12-01 10:00:00\nu5,eve,u3,2026-01-19 10:00:00\n"
    put(landing, "2026-01-05", "users.csv", users1.encode())
    put(landing, "2026-01-12", "users.csv", users2.encode())
    put(landing, "2026-01-19", "users.csv.gz", gz(users3.encode()))
    leads1 = "id,date_entered,date_modified,status\nL1,2026-01-02 09:00:00,2026-01-03 09:00:00,New\nL2,2026-01-02 09:00:00,2026-01-04 09:00:00,New\n"
    leads2 = "id,date_entered,date_modified,status\nL1,2026-01-02 09:00:00,,Dead\nL2,2026-01-02 09:00:00,2026-01-03 09:00:00,Dead\n"
    put(landing, "2026-01-05", "leads.csv", leads1.encode())
    put(landing, "2026-01-12", "leads.csv", leads2.encode())
    put(landing, "2026-01-05", "currency_rates.csv", b"currency_id,date,rate\nIDR,2026-01-01,0.00006137\n")
    header = "id,name,date_entered,date_modified,assigned_user_id,amount,currency_id,date_closed,sales_stage"
    put(landing, "2026-01-05", "opportunities.csv", (
        f"{header}\n"
        "o1,Jakarta deal,2026-01-05 09:00:00,2026-01-05 09:00:00,u2,1629000000.00,IDR,2026-03-31,Prospecting\n"
        "o2,Huge deal,2026-01-05 09:00:00,2026-01-05 09:00:00,u2,1000000000000000.00,IDR,2026-03-31,Prospecting\n"
        "o3,Dollar deal,2026-01-05 09:00:00,2026-01-05 09:00:00,u2,1234.56,USD,2026-03-31,Prospecting\n").encode())
    put(landing, "2026-01-05", "marketing_spend.csv", b"date,spend,channel,currency_id\n2026-01-01,1629000000,Social,IDR\n")
    db = work / "build.duckdb"
    load_landing(landing, db)
    dbt_build(db, work, select=["stg_sugarcrm__users", "stg_sugarcrm__leads", "+int_opportunities",
                                "+int_marketing_spend_converted"])
    return db


def test_a_version_without_date_modified_wins_when_its_drop_is_later(versions_and_rates):
    with duckdb.connect(str(versions_and_rates), read_only=True) as con:
        managers = dict(con.execute("SELECT user_id, reports_to_user_id FROM staging.stg_sugarcrm__users").fetchall())
        leads = dict(con.execute("SELECT lead_id, lead_status FROM staging.stg_sugarcrm__leads").fetchall())
    assert managers == {"u1": None, "u2": "u3", "u3": "u1", "u4": "u2", "u5": "u3"}
    # L1's later version has no date_modified: the later drop wins.  L2's later drop is
    # dated earlier: every version is dated, so the latest date_modified wins.
    assert leads == {"L1": "Dead", "L2": "New"}


def test_a_tiny_rate_converts_a_large_amount_exactly(versions_and_rates):
    with duckdb.connect(str(versions_and_rates), read_only=True) as con:
        amounts = dict(con.execute("SELECT opportunity_id, amount_reporting FROM intermediate.int_opportunities").fetchall())
        spend = con.execute("SELECT spend_reporting FROM intermediate.int_marketing_spend_converted").fetchone()[0]
    # 1,629,000,000 x 0.00006137 = 1,629 x 61.37 = 99,971.73; 10^15 x 0.00006137 = 61,370,000,000.
    assert amounts == {"o1": Decimal("99971.73"), "o2": Decimal("61370000000"), "o3": Decimal("1234.56")}
    assert spend == Decimal("99971.73")


def test_a_build_file_from_before_wider_decimals_is_widened(tmp_path):
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.currency_rates (currency_id VARCHAR, date DATE, rate DECIMAL(24,6))")
    put(tmp_path / "landing", "2026-01-05", "currency_rates.csv", b"currency_id,date,rate\nIDR,2026-01-01,0.00006137\n")
    with duckdb.connect(str(db)) as con:
        assert load_kind(con, tmp_path / "landing", "currency_rates").errors == []
        assert con.execute("SELECT rate FROM raw.currency_rates").fetchone()[0] == Decimal("0.00006137")
