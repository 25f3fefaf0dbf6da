"""Loading export drops into raw: counts, idempotence, lineage and contract errors."""

from __future__ import annotations

import csv
import gzip
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.contract import FILE_KINDS, KINDS
from ingest.drops import find_files
from ingest.load import RejectPolicy, load_kind

STRICT = RejectPolicy(on_bad_rows="fail")


def load_all(con: duckdb.DuckDBPyConnection, landing: Path) -> dict[str, list[str]]:
    return {k.name: load_kind(con, landing, k.name).errors for k in FILE_KINDS}


def data_rows(path: Path) -> list[dict[str, str]]:
    """Read a CSV with Python's csv module: an independent count of what the file holds."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture()
def loaded_small(small_landing, tmp_path):
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    errors = load_all(con, small_landing)
    assert all(not e for e in errors.values()), errors
    yield con
    con.close()


def test_raw_row_counts_equal_file_row_counts(small_landing, loaded_small):
    con = loaded_small
    checked = 0
    for kind in FILE_KINDS:
        for df in find_files(small_landing, kind.name):
            expected = len(data_rows(df.path))
            got = con.execute(
                f"SELECT count(*) FROM raw.{kind.name} WHERE _drop = ? AND _file = ?", [df.drop, df.file_name]
            ).fetchone()[0]
            assert got == expected, f"{df.label}: {got} rows in raw, {expected} in the file"
            checked += 1
    assert checked >= len(FILE_KINDS), "the generated drop set should hold every file kind"


def test_every_raw_row_points_at_its_line(small_landing, loaded_small):
    con = loaded_small
    for df in find_files(small_landing, "opportunities")[:2]:
        rows = data_rows(df.path)
        for drop, file, line, id_ in con.execute(
            "SELECT _drop, _file, _line, id FROM raw.opportunities WHERE _drop = ? AND _file = ? ORDER BY _line",
            [df.drop, df.file_name],
        ).fetchall():
            assert rows[line - 2]["id"] == id_  # line 1 is the header


def test_second_load_of_the_same_drops_adds_nothing(small_landing, loaded_small):
    con = loaded_small
    before = {k.name: con.execute(f"SELECT count(*) FROM raw.{k.name}").fetchone()[0] for k in FILE_KINDS}
    log_before = con.execute("SELECT count(*) FROM raw.load_log").fetchone()[0]
    results = {k.name: load_kind(con, small_landing, k.name) for k in FILE_KINDS}
    assert all(r.rows_loaded == 0 and not r.errors for r in results.values())
    after = {k.name: con.execute(f"SELECT count(*) FROM raw.{k.name}").fetchone()[0] for k in FILE_KINDS}
    assert after == before
    assert con.execute("SELECT count(*) FROM raw.load_log").fetchone()[0] == log_before


def test_optional_file_missing_everywhere_gives_an_empty_table(tmp_path):
    drop = tmp_path / "landing" / "2026-01-05"
    drop.mkdir(parents=True)
    (drop / "users.csv").write_text("id,user_name\nu1,ann\n", encoding="utf-8")
    con = duckdb.connect()
    assert load_all(con, tmp_path / "landing")["targets"] == []
    assert con.execute("SELECT count(*) FROM raw.targets").fetchone()[0] == 0
    cols = [r[0] for r in con.execute("DESCRIBE raw.targets").fetchall()]
    assert cols[:3] == KINDS["targets"].column_names


OPP_HEADER = "id,name,date_entered,date_modified,assigned_user_id,amount,date_closed,sales_stage"


def write_drop(landing: Path, drop: str, files: dict[str, str]) -> Path:
    folder = landing / drop
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_missing_required_column_fails_naming_file_and_column_and_loads_nothing(tmp_path):
    landing = tmp_path / "landing"
    header_without_stage = OPP_HEADER.replace(",sales_stage", "")
    write_drop(landing, "2026-01-05", {"opportunities.csv": header_without_stage + "\no1,A,2026-01-01,2026-01-02,u1,10,2026-03-01\n"})
    con = duckdb.connect()
    result = load_kind(con, landing, "opportunities")
    assert len(result.errors) == 1
    message = result.errors[0]
    assert "2026-01-05/opportunities.csv" in message
    assert "sales_stage" in message and "line 1" in message
    assert con.execute("SELECT count(*) FROM raw.opportunities").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM raw.load_log").fetchone()[0] == 0


def test_bad_date_on_one_line_fails_naming_file_column_line_and_type(tmp_path):
    landing = tmp_path / "landing"
    good = "\n".join([OPP_HEADER, "o1,A,2026-01-01,2026-01-02,u1,10,2026-03-01,Prospecting"]) + "\n"
    bad = "\n".join([
        OPP_HEADER,
        "o2,B,2026-01-01,2026-01-02,u1,10,2026-03-01,Prospecting",
        "o3,C,2026-01-01,2026-01-02,u1,10,2026-03-01,Prospecting",
        "o4,D,2026-01-01,2026-01-02,u1,10,31/03/2026,Prospecting",
    ]) + "\n"
    write_drop(landing, "2026-01-05", {"opportunities.csv": good})
    write_drop(landing, "2026-01-12", {"opportunities.csv": bad})
    con = duckdb.connect()
    result = load_kind(con, landing, "opportunities", STRICT)
    assert len(result.errors) == 1
    message = result.errors[0]
    assert "2026-01-12/opportunities.csv" in message
    assert "line 4" in message and "date_closed" in message
    assert "31/03/2026" in message and "YYYY-MM-DD" in message
    # The good drop is in; nothing of the broken file is.
    assert con.execute("SELECT list(id ORDER BY id) FROM raw.opportunities").fetchone()[0] == ["o1"]
    assert con.execute("SELECT list(drop_name) FROM raw.load_log").fetchone()[0] == ["2026-01-05"]


def test_unreadable_encoding_fails_the_file(tmp_path):
    landing = tmp_path / "landing"
    folder = write_drop(landing, "2026-01-05", {})
    (folder / "users.csv").write_bytes(b"id,user_name,last_name\nu1,ann,M\xfcller\n")
    con = duckdb.connect()
    result = load_kind(con, landing, "users", STRICT)
    assert len(result.errors) == 1 and "2026-01-05/users.csv" in result.errors[0]
    assert "utf-8" in result.errors[0].lower()
    assert con.execute("SELECT count(*) FROM raw.users").fetchone()[0] == 0


def test_contract_dialect_variants_load_the_same_values(tmp_path):
    """BOM, CRLF, upper-case headers, gzip, offsets and true/false all mean the same thing."""
    landing = tmp_path / "landing"
    plain = "id,date_entered,date_modified,status,deleted\nl1,2026-03-05 14:22:10,2026-03-05T14:22:10Z,New,0\n"
    write_drop(landing, "2026-01-05", {"leads.csv": plain})
    variant = "\ufeffID,DATE_ENTERED,Date_Modified,Status,Deleted\r\nl2,2026-03-05T16:22:10+02:00,2026-03-05 14:22:10,New,false\r\n"
    folder = write_drop(landing, "2026-01-12", {})
    with gzip.open(folder / "leads.csv.gz", "wt", encoding="utf-8", newline="") as f:
        f.write(variant)
    con = duckdb.connect()
    assert load_kind(con, landing, "leads").errors == []
    rows = con.execute("SELECT id, date_entered::VARCHAR, date_modified::VARCHAR, deleted FROM raw.leads ORDER BY id").fetchall()
    assert rows == [
        ("l1", "2026-03-05 14:22:10", "2026-03-05 14:22:10", False),
        ("l2", "2026-03-05 14:22:10", "2026-03-05 14:22:10", False),
    ]


def test_parquet_drop_loads_with_row_numbers(tmp_path):
    landing = tmp_path / "landing"
    folder = write_drop(landing, "2026-01-05", {})
    duckdb.sql(
        "COPY (SELECT 'u' || i AS id, 'user' || i AS user_name FROM range(1, 4) t(i)) "
        f"TO '{folder / 'users.parquet'}' (FORMAT parquet)"
    )
    con = duckdb.connect()
    assert load_kind(con, landing, "users").errors == []
    assert con.execute("SELECT list(id || ':' || _line ORDER BY _line) FROM raw.users").fetchone()[0] == ["u1:1", "u2:2", "u3:3"]


@pytest.mark.parametrize("edited", [
    "id,user_name\nu1,ann\nu2,bob\n",
    # The same size: the edit still moves the modification time, so the file is hashed again.
    "id,user_name\nu1,bob\n",
], ids=["longer", "same_size"])
def test_a_drop_file_changed_after_loading_is_refused(tmp_path, edited):
    landing = tmp_path / "landing"
    folder = write_drop(landing, "2026-01-05", {"users.csv": "id,user_name\nu1,ann\n"})
    con = duckdb.connect()
    assert load_kind(con, landing, "users").errors == []
    (folder / "users.csv").write_text(edited, encoding="utf-8")
    result = load_kind(con, landing, "users")
    assert len(result.errors) == 1 and "changed after it was loaded" in result.errors[0]
    assert con.execute("SELECT user_name FROM raw.users").fetchall() == [("ann",)]


def test_a_loaded_file_is_read_again_only_when_its_size_or_time_changed(tmp_path):
    """A weekly run does not hash every file of history: a loaded file whose size and
    modification time are the ones recorded is taken as loaded, unread (so an edit that
    restores both goes unseen, as docs/exports.md says); once either differs it is hashed,
    and a changed content is refused."""
    landing = tmp_path / "landing"
    folder = write_drop(landing, "2026-01-05", {"users.csv": "id,user_name\nu1,ann\n"})
    path = folder / "users.csv"
    con = duckdb.connect()
    assert load_kind(con, landing, "users").errors == []
    before = path.stat()
    path.write_text("id,user_name\nu1,bob\n", encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = load_kind(con, landing, "users")
    assert again.errors == [] and again.rows_loaded == 0 and [f.skipped for f in again.files] == [True]
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    result = load_kind(con, landing, "users")
    assert len(result.errors) == 1 and "changed after it was loaded" in result.errors[0]


def test_a_copied_landing_folder_is_hashed_once_and_loads_nothing(tmp_path):
    """Copied without its times, every file is hashed again, found unchanged, and its new size and
    time recorded, so that the run after takes it as loaded without reading it."""
    landing = tmp_path / "landing"
    write_drop(landing, "2026-01-05", {"users.csv": "id,user_name\nu1,ann\n"})
    write_drop(landing, "2026-01-12", {"users.csv": "id,user_name\nu2,bo\n"})
    con = duckdb.connect()
    assert load_kind(con, landing, "users").rows_loaded == 2
    copied = tmp_path / "copied"
    shutil.copytree(landing, copied, copy_function=shutil.copy)  # contents only: new modification times
    for drop in ("2026-01-05", "2026-01-12"):
        os.utime(copied / drop / "users.csv", ns=(0, 1_000_000_000))
    result = load_kind(con, copied, "users")
    assert result.errors == [] and result.rows_loaded == 0 and len(result.files) == 2
    assert con.execute("SELECT count(*) FROM raw.users").fetchone()[0] == 2
    assert con.execute("SELECT list(DISTINCT file_mtime_ns) FROM raw.load_log").fetchone()[0] == [1_000_000_000]


def test_unknown_columns_are_kept_in_raw(tmp_path):
    landing = tmp_path / "landing"
    write_drop(landing, "2026-01-05", {"users.csv": "id,user_name,Favourite_Colour\nu1,ann,green\n"})
    con = duckdb.connect()
    assert load_kind(con, landing, "users").errors == []
    assert con.execute("SELECT favourite_colour FROM raw.users").fetchone()[0] == "green"


def test_half_written_drop_folders_are_ignored(tmp_path):
    landing = tmp_path / "landing"
    write_drop(landing, "_incoming", {"users.csv": "id,user_name\nu1,ann\n"})
    con = duckdb.connect()
    assert load_kind(con, landing, "users").files == []
