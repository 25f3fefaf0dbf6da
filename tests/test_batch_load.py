"""Files of a kind are loaded together (in batches): a bad file stays out, the others of the same
run load, and every file keeps its own lines and counts, whether the files share a batch or not."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import ingest.load as load

HEADER = "id,user_name,date_modified\n"
TS = "2026-01-02 10:00:00"


def write_drops(landing: Path) -> None:
    """Five weekly drops of users.csv, all with one header: good, broken, quarantined, unusable, good."""
    files = {
        # A value spanning lines: u3's record starts on line 5.
        "2026-01-05": f'{HEADER}u1,Ann,{TS}\nu2,"Bo\nb",{TS}\nu3,Cy,{TS}\n',
        # The quote opened on line 3 is never closed.
        "2026-01-12": f'{HEADER}u4,Dee,{TS}\nu5,"Eve,{TS}\nu6,Fay,{TS}\n',
        # A blank line 3, a row with a field too many on line 4 (quarantined: 1 of 21 rows is within 5%).
        "2026-01-19": f"{HEADER}u7,Gus,{TS}\n\nu8,Hal,{TS},extra\n" + "".join(f"u{i},n{i},{TS}\n" for i in range(9, 28)),
        # 2 of 3 rows have a date_modified that is no timestamp: more than max_rejected_share.
        "2026-01-26": f"{HEADER}u30,Ida,yesterday\nu31,Jo,{TS}\nu32,Kim,soon\n",
        "2026-02-02": f"{HEADER}u33,Lu,{TS}\n",
    }
    for drop, text in files.items():
        (landing / drop).mkdir(parents=True)
        (landing / drop / "users.csv").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("batch_bytes", [load.MAX_BATCH_BYTES, 1], ids=["one batch", "a batch per file"])
def test_a_bad_file_stays_out_while_the_others_of_the_run_load(tmp_path, monkeypatch, batch_bytes):
    monkeypatch.setattr(load, "MAX_BATCH_BYTES", batch_bytes)
    landing = tmp_path / "landing"
    write_drops(landing)
    con = duckdb.connect()
    result = load.load_kind(con, landing, "users")

    assert len(result.errors) == 2, result.errors
    assert result.errors[0].startswith("2026-01-12/users.csv: line 3: a quote opens a value that is never closed")
    assert result.errors[1].startswith("2026-01-26/users.csv: ")
    assert "column date_modified" in result.errors[1] and "2 of 3 rows break the contract" in result.errors[1]
    assert all(e.endswith("Nothing from this file was loaded.") for e in result.errors)

    assert [(f.drop, f.rows, f.rejected) for f in result.files] == [
        ("2026-01-05", 3, 0), ("2026-01-19", 20, 1), ("2026-02-02", 1, 0)]
    assert con.execute(
        "SELECT drop_name, rows_read, rows_loaded, rows_rejected, rows_derived FROM raw.load_log ORDER BY drop_name"
    ).fetchall() == [("2026-01-05", 3, 3, 0, 3), ("2026-01-19", 21, 20, 1, 20), ("2026-02-02", 1, 1, 0, 1)]

    rows = con.execute("SELECT _drop, id, _line FROM raw.users ORDER BY _drop, _line").fetchall()
    expected = [("2026-01-05", "u1", 2), ("2026-01-05", "u2", 3), ("2026-01-05", "u3", 5), ("2026-01-19", "u7", 2)]
    expected += [("2026-01-19", f"u{i}", i - 4) for i in range(9, 28)]  # u9 on line 5 ... u27 on line 23
    expected += [("2026-02-02", "u33", 2)]
    assert rows == expected
    assert con.execute("SELECT user_name FROM raw.users WHERE id = 'u2'").fetchone()[0] == "Bo\nb"
    assert con.execute("SELECT count(*) FROM raw.users WHERE _drop IN ('2026-01-12', '2026-01-26')").fetchone()[0] == 0

    rejected = con.execute("SELECT drop_name, file_name, line, raw_value, reason FROM raw.rejected_rows").fetchall()
    assert len(rejected) == 1
    drop, file, line, raw, reason = rejected[0]
    # The reader's raw line keeps the blank line before it: the record is the same once trimmed.
    assert (drop, file, line, raw.strip()) == ("2026-01-19", "users.csv", 4, f"u8,Hal,{TS},extra")
    assert "more fields than the header has" in reason

    # The bad files are tried again on the next run, and fail the same way; the good ones are not loaded twice.
    again = load.load_kind(con, landing, "users")
    assert again.errors == result.errors
    assert all(f.skipped for f in again.files) and len(again.files) == 3
    assert con.execute("SELECT count(*) FROM raw.users").fetchone()[0] == 24


def test_a_quarantined_row_leaves_out_only_its_own_line_of_its_own_file(tmp_path):
    """Two files of one batch, one record per line each: the first has a bad date on line 3, the
    second none.  Only that row is left out of raw (the second file's line 3 loads), it is in
    raw.rejected_rows with its line and record, and every loaded row keeps its file line."""
    landing = tmp_path / "landing"
    rows = [f"u{i},n{i},{TS}" for i in range(1, 31)]
    bad = rows.copy()
    bad[1] = "u2,n2,not a date"  # line 3: 1 of 30 rows, within max_rejected_share
    for drop, lines in {"2026-01-05": bad, "2026-01-12": [r.replace("u", "v", 1) for r in rows]}.items():
        (landing / drop).mkdir(parents=True)
        (landing / drop / "users.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    con = duckdb.connect()
    result = load.load_kind(con, landing, "users")

    assert result.errors == []
    assert [(f.drop, f.rows, f.rejected) for f in result.files] == [("2026-01-05", 29, 1), ("2026-01-12", 30, 0)]
    loaded = con.execute("SELECT _drop, _line, id FROM raw.users ORDER BY _drop, _line").fetchall()
    assert loaded == ([("2026-01-05", i + 1, f"u{i}") for i in range(1, 31) if i != 2]
                      + [("2026-01-12", i + 1, f"v{i}") for i in range(1, 31)])
    assert con.execute(
        "SELECT drop_name, line, column_name, raw_value, raw_record->>'id' FROM raw.rejected_rows"
    ).fetchall() == [("2026-01-05", 3, "date_modified", "not a date", "u2")]
