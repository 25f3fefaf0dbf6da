"""The corpus of broken exports: each case is one drop file as the CRM might really send it.

A case holds the file's name and exact bytes and what the warehouse must do with it:
load it whole, quarantine some lines (and load the rest), or fail the file (loading
nothing) with a message naming what it names.  tests/test_bad_exports.py runs them.
Files have 40 good records around the defect, as real exports do, so that one bad
line stays under max_rejected_share (5%).  Cases come as .csv, .csv.gz and .parquet;
those of issue 12 (corrupt files, quotes that swallow records, impossible timestamps,
decimals that would be rounded, internal names, CR line ends, long fields) are grouped
by class below.  For every CSV case that loads, the test also counts the records with
Python's csv module: rows read must equal that count.
"""

from __future__ import annotations

import gzip
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

GOOD_ROWS = 40

USERS_HEADER = "id,user_name,first_name,last_name,reports_to_id"
OPP_HEADER = "id,name,date_entered,date_modified,assigned_user_id,amount,currency_id,date_closed,sales_stage,commit_stage"


def users_rows(n: int = GOOD_ROWS) -> list[str]:
    return [f"u{i},user{i},First{i},Last{i}," for i in range(1, n + 1)]


def opp_rows(n: int = GOOD_ROWS, start: int = 1) -> list[str]:
    return [
        f"o{i},Deal {i},2026-01-0{1 + i % 9} 09:00:00,2026-01-10 09:00:00,u1,{1000 + i}.00,USD,2026-03-31,Prospecting,upside"
        for i in range(start, start + n)
    ]


def csv_bytes(header: str, rows: list[str], newline: str = "\n", encoding: str = "utf-8") -> bytes:
    return (newline.join([header, *rows]) + newline).encode(encoding)


def gz(content: bytes) -> bytes:
    return gzip.compress(content, mtime=0)


def flip_bit(content: bytes, at: float) -> bytes:
    """One flipped bit at a fraction of the file: what a bad disk or transfer does."""
    data = bytearray(content)
    data[int(len(data) * at)] ^= 0x04
    return bytes(data)


def parquet_bytes(select: str) -> bytes:
    """A parquet file written by DuckDB from a SELECT."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.parquet"
        duckdb.sql(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
        return path.read_bytes()


# A deal file of 2,000 rows: large enough that a flipped bit lands in compressed data.
_many = opp_rows(2000)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    file_name: str
    content: bytes
    outcome: str  # "load" | "quarantine" | "fail"
    rows_loaded: int = 0
    quarantined_lines: tuple[int, ...] = ()
    message_has: tuple[str, ...] = field(default_factory=tuple)  # fail: the error; quarantine: the reason
    drop: str = "2026-01-12"


_opp = opp_rows()
CASES: tuple[Case, ...] = (
    Case("empty file", "users", "users.csv", b"", "fail", message_has=("users.csv", "empty")),
    Case("header only", "opportunities", "opportunities.csv", csv_bytes(OPP_HEADER, []), "load", rows_loaded=0),
    Case(
        "truncated last line", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, _opp).rstrip(b"\n") + b"\no99,Deal 99,2026-01-0",
        "quarantine", rows_loaded=GOOD_ROWS, quarantined_lines=(GOOD_ROWS + 2,), message_has=("MISSING COLUMNS",),
    ),
    Case(
        "wrong delimiter", "users", "users.csv", csv_bytes(USERS_HEADER.replace(",", ";"), [r.replace(",", ";") for r in users_rows()]),
        "fail", message_has=("users.csv", "line 1", "user_name", "delimiter"),
    ),
    Case("UTF-8 with BOM", "users", "users.csv", b"\xef\xbb\xbf" + csv_bytes(USERS_HEADER, users_rows()), "load", rows_loaded=GOOD_ROWS),
    Case(
        "Latin-1 bytes on one line", "users", "users.csv",
        csv_bytes(USERS_HEADER, users_rows()) + "u99,user99,Jos\xe9,M\xfcller,\n".encode("latin-1"),
        "quarantine", rows_loaded=GOOD_ROWS, quarantined_lines=(GOOD_ROWS + 2,), message_has=("INVALID ENCODING",),
    ),
    Case(
        "Latin-1 header", "users", "users.csv", "id,user_name,pr\xe9nom\nu1,a,b\n".encode("latin-1"),
        "fail", message_has=("users.csv", "line 1", "UTF-8"),
    ),
    Case("CRLF line ends", "users", "users.csv", csv_bytes(USERS_HEADER, users_rows(), newline="\r\n"), "load", rows_loaded=GOOD_ROWS),
    Case(
        "required column missing", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER.replace(",sales_stage", ""), [r.replace(",Prospecting", "") for r in _opp]),
        "fail", message_has=("opportunities.csv", "line 1", "sales_stage"),
    ),
    Case(
        "extra unknown column", "users", "users.csv", csv_bytes(USERS_HEADER + ",Shoe_Size", [r + ",42" for r in users_rows()]),
        "load", rows_loaded=GOOD_ROWS,
    ),
    Case(
        "a date that does not parse", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [*_opp[:9], _opp[9].replace("2026-03-31", "31/03/2026"), *_opp[10:]]),
        "quarantine", rows_loaded=GOOD_ROWS - 1, quarantined_lines=(11,), message_has=("date_closed", "31/03/2026", "YYYY-MM-DD"),
    ),
    Case(
        "a timestamp with an offset", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [_opp[0].replace("2026-01-10 09:00:00", "2026-01-10T11:00:00+02:00"), *_opp[1:]]),
        "load", rows_loaded=GOOD_ROWS,
    ),
    Case(
        "an amount written $22,700.00", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [*_opp[:4], _opp[4].replace("1005.00", '"$22,700.00"'), *_opp[5:]]),
        "quarantine", rows_loaded=GOOD_ROWS - 1, quarantined_lines=(6,), message_has=("amount", "$22,700.00", "plain decimal"),
    ),
    Case(
        "an empty record key", "users", "users.csv", csv_bytes(USERS_HEADER, [*users_rows(), ",nobody,No,Key,"]),
        "quarantine", rows_loaded=GOOD_ROWS, quarantined_lines=(GOOD_ROWS + 2,), message_has=("id", "record key"),
    ),
    Case(
        "most rows bad: unusable", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [r.replace("2026-03-31", "Q1 2026") for r in _opp]),
        "fail", message_has=("opportunities.csv", "line 2", "date_closed", "max_rejected_share"),
    ),
    Case(
        "a value beginning with =", "users", "users.csv",
        csv_bytes(USERS_HEADER, [*users_rows(), 'u99,"=HYPERLINK(""http://x"",""y"")",Eve,Formula,']),
        "load", rows_loaded=GOOD_ROWS + 1,
    ),
    Case(
        "a drop name with spaces and quotes", "users", "users.csv", csv_bytes(USERS_HEADER, users_rows()),
        "load", rows_loaded=GOOD_ROWS, drop="2026-01-12 \"final\" it's",
    ),
    # ------------------------------------------------------------------ issue 12, class 1: integrity
    Case("gzip: a good file", "opportunities", "opportunities.csv.gz", gz(csv_bytes(OPP_HEADER, _many)), "load", rows_loaded=2000),
    Case(
        "gzip: one bit flipped in the compressed data", "opportunities", "opportunities.csv.gz",
        flip_bit(gz(csv_bytes(OPP_HEADER, _many)), 0.5), "fail", message_has=("2026-01-12/opportunities.csv.gz", "corrupt"),
    ),
    Case(
        "gzip: the CRC in the trailer is wrong", "users", "users.csv.gz",
        (lambda b: b[:-8] + bytes([b[-8] ^ 1]) + b[-7:])(gz(csv_bytes(USERS_HEADER, users_rows()))),
        "fail", message_has=("users.csv.gz", "corrupt", "CRC"),
    ),
    Case(
        "gzip: cut short in transfer", "users", "users.csv.gz", gz(csv_bytes(USERS_HEADER, users_rows()))[:-30],
        "fail", message_has=("users.csv.gz", "corrupt"),
    ),
    Case(
        "gzip: not gzip at all", "users", "users.csv.gz", csv_bytes(USERS_HEADER, users_rows()),
        "fail", message_has=("users.csv.gz", "corrupt"),
    ),
    Case(
        "parquet: cut short", "users", "users.parquet",
        parquet_bytes("SELECT 'u' || i AS id, 'user' || i AS user_name FROM range(1, 41) t(i)")[:-20],
        "fail", message_has=("users.parquet", "parquet", "cut short"),
    ),
    Case(
        "parquet: a good file", "users", "users.parquet",
        parquet_bytes("SELECT 'u' || i AS id, 'user' || i AS user_name FROM range(1, 41) t(i)"), "load", rows_loaded=40,
    ),
    # ------------------------------------------------------------------ class 2: every record counted
    Case(
        "a quote never closed swallows the tail", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [*_opp[:34], _opp[34].replace("Deal 35", '"Deal 35'), *_opp[35:]]),
        "fail", message_has=("opportunities.csv", "line 36", "never closed"),
    ),
    Case(
        "gzip: a quote never closed", "opportunities", "opportunities.csv.gz",
        gz(csv_bytes(OPP_HEADER, [*_opp[:9], _opp[9].replace("Prospecting", '"Prospecting'), *_opp[10:]])),
        "fail", message_has=("opportunities.csv.gz", "line 11", "never closed"),
    ),
    Case(
        "a stray quote closed by another ten rows later", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [*_opp[:9], _opp[9].replace(",Deal 10,", ',"Deal 10,'),
                               *_opp[10:19], _opp[19].replace(",Deal 20,", ',Deal 20",'), *_opp[20:]]),
        "fail", message_has=("opportunities.csv", "line 11", "line 21"),
    ),
    Case(
        "quotes inside unquoted values are text", "users", "users.csv",
        csv_bytes(USERS_HEADER, [*users_rows(), 'u98,tv12,12" screen,Smith,', 'u99,o\'neil,Dwayne "The Rock",Johnson,']),
        "load", rows_loaded=GOOD_ROWS + 2,
    ),
    Case(
        "blank lines between records", "users", "users.csv",
        csv_bytes(USERS_HEADER, [*users_rows()[:10], "", "", *users_rows()[10:20], "", *users_rows()[20:]]),
        "load", rows_loaded=GOOD_ROWS,
    ),
    # ------------------------------------------------------------------ class 5: impossible timestamps
    Case(
        "date_modified infinity", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [*_opp[:4], _opp[4].replace("2026-01-10 09:00:00", "infinity"), *_opp[5:]]),
        "quarantine", rows_loaded=GOOD_ROWS - 1, quarantined_lines=(6,), message_has=("date_modified", "infinity", "finite"),
    ),
    Case(
        "date_modified epoch", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [*_opp[:19], _opp[19].replace("2026-01-10 09:00:00", "epoch"), *_opp[20:]]),
        "quarantine", rows_loaded=GOOD_ROWS - 1, quarantined_lines=(21,), message_has=("date_modified", "epoch", "timestamp_earliest"),
    ),
    Case(
        "date_entered in year 9999", "opportunities", "opportunities.csv.gz",
        gz(csv_bytes(OPP_HEADER, [_opp[0].replace("2026-01-02 09:00:00", "9999-12-31 23:59:59"), *_opp[1:]])),
        "quarantine", rows_loaded=GOOD_ROWS - 1, quarantined_lines=(2,),
        message_has=("date_entered", "9999-12-31", "timestamp_max_days_ahead"),
    ),
    Case(
        "a close date of infinity", "opportunities", "opportunities.csv",
        csv_bytes(OPP_HEADER, [*_opp[:-1], _opp[-1].replace("2026-03-31", "infinity")]),
        "quarantine", rows_loaded=GOOD_ROWS - 1, quarantined_lines=(GOOD_ROWS + 1,), message_has=("date_closed", "finite date"),
    ),
    Case(
        "parquet: a timestamp of infinity", "users", "users.parquet",
        parquet_bytes("SELECT 'u' || i AS id, 'user' || i AS user_name, "
                      "CASE WHEN i = 7 THEN 'infinity'::TIMESTAMP ELSE TIMESTAMP '2026-01-05 10:00:00' END AS date_modified "
                      "FROM range(1, 41) t(i)"),
        "quarantine", rows_loaded=GOOD_ROWS - 1, quarantined_lines=(7,), message_has=("date_modified", "finite"),
    ),
    # ------------------------------------------------------------------ class 4: decimals keep their precision
    Case(
        "a rate the warehouse would round away", "currency_rates", "currency_rates.csv",
        csv_bytes("currency_id,date,rate", [f"C{i:02d},2026-01-01,0.000061{i:02d}" for i in range(40)] + ["XXX,2026-01-01,0.0000000012345678"]),
        "quarantine", rows_loaded=40, quarantined_lines=(42,), message_has=("rate", "0.0000000012345678", "12 decimal places"),
    ),
    # ------------------------------------------------------------------ class 12: contract messages, not internal errors
    Case(
        "an extra column named _row", "users", "users.csv", csv_bytes(USERS_HEADER + ",_row", [r + ",7" for r in users_rows()]),
        "load", rows_loaded=GOOD_ROWS,
    ),
    Case(
        "an extra column named _entry", "users", "users.csv.gz", gz(csv_bytes(USERS_HEADER + ",_entry", [r + ",x" for r in users_rows()])),
        "load", rows_loaded=GOOD_ROWS,
    ),
    Case(
        "an extra column named _line", "users", "users.csv", csv_bytes(USERS_HEADER + ",_line", [r + ",7" for r in users_rows()]),
        "fail", message_has=("users.csv", "line 1", "'_line'", "loader adds"),
    ),
    Case(
        "parquet: an extra column named _source_record", "users", "users.parquet",
        parquet_bytes("SELECT 'u' || i AS id, 'user' || i AS user_name, '{}' AS _source_record FROM range(1, 41) t(i)"),
        "fail", message_has=("users.parquet", "'_source_record'", "loader adds"),
    ),
    Case(
        "parquet: a column named file_row_number", "users", "users.parquet",
        parquet_bytes("SELECT 'u' || i AS id, 'user' || i AS user_name, i AS file_row_number FROM range(1, 41) t(i)"),
        "load", rows_loaded=GOOD_ROWS,
    ),
    Case(
        "CR-only line ends", "users", "users.csv", csv_bytes(USERS_HEADER, users_rows(), newline="\r"),
        "fail", message_has=("users.csv", "line 1", "CR only", "LF or CRLF"),
    ),
    Case(
        "gzip: CR-only line ends", "users", "users.csv.gz", gz(csv_bytes(USERS_HEADER, users_rows(), newline="\r")),
        "fail", message_has=("users.csv.gz", "line 1", "CR only"),
    ),
    Case(
        "a stray CR inside a line", "users", "users.csv",
        csv_bytes(USERS_HEADER, [*users_rows()[:14], "u15,user15,Fir\rst,Last15,", *users_rows()[15:]]),
        "fail", message_has=("users.csv", "line 16", "carriage return"),
    ),
    Case(
        "a duplicated header column", "users", "users.csv",
        csv_bytes(USERS_HEADER + ",first_name", [r + ",again" for r in users_rows()]),
        "fail", message_has=("users.csv", "line 1", "'first_name'", "twice"),
    ),
    Case(
        "gzip: a header column twice in other case", "users", "users.csv.gz",
        gz(csv_bytes(USERS_HEADER + ",User_Name", [r + ",again" for r in users_rows()])),
        "fail", message_has=("users.csv.gz", "line 1", "'User_Name'", "twice"),
    ),
    Case(
        "a legal 5 MB field", "users", "users.csv",
        csv_bytes(USERS_HEADER, [*users_rows(), 'u99,big,"' + "x" * 5_000_000 + '",Long,']), "load", rows_loaded=GOOD_ROWS + 1,
    ),
    Case(
        "gzip: a legal 5 MB field spanning lines", "users", "users.csv.gz",
        gz(csv_bytes(USERS_HEADER, ['u0,big,"' + ("x" * 999_999 + "\n") * 5 + '",Long,', *users_rows()])), "load", rows_loaded=GOOD_ROWS + 1,
    ),
)
