"""The corpus of broken exports: each case is one drop file as the CRM might really send it.

A case holds the file's name and exact bytes and what the warehouse must do with it:
load it whole, quarantine some lines (and load the rest), or fail the file (loading
nothing) with a message naming what it names.  tests/test_bad_exports.py runs them.
Files have 40 good records around the defect, as real exports do, so that one bad
line stays under max_rejected_share (5%).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
)
