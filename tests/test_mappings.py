"""The mapping layer: another CRM's files become the contract by configuration, in SQL.

Each test writes a tiny export in a foreign shape and a mapping for it, loads it with
the real loader into a real DuckDB file, and checks what a user would check: the
values in raw, the accounting of rows, and the messages when the mapping or the file
is wrong (they name the mapping file, the key, the data file, the column and the line).
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.load import load_kind
from ingest.mapping import MappingError, load_mapping, load_preset

ZOHO_LEADS = """\
Record Id,Lead Owner,First Name,Last Name,Company,Lead Source,Lead Status,Created Time,Modified Time,Converted,Score
zl1,zu1,Ada,Lovelace,Engines Ltd,Web Site,Contacted,"15 Apr, 2021 00:03:00","16 Apr, 2021 09:00:00",No,45%
zl2,zu1,Grace,Hopper,Cobol Inc,Trade Show,Qualified,"02 May, 2021 13:30:00","03 May, 2021 10:00:00",Yes,80%
zl3,zu2,Alan,Turing,Bletchley,Cold Call,Junk Lead,"09 May, 2021 08:15:00","09 May, 2021 08:15:00",No,
"""

ZOHO_DEALS = """\
Deal Owner,Deal Name,Account Name,Type,Amount,Closing Date,Stage,Probability (%),Created Time,Modified Time
zu1,Engines renewal,Engines Ltd,Existing Business,"$22,700.00","30 Jun, 2021",Negotiation/Review,90%,"20 Apr, 2021 10:00:00","01 Jun, 2021 12:00:00"
zu2,Cobol deal,Cobol Inc,New Business,$115.00K,"15 Jul, 2021",Closed Won,100%,"05 May, 2021 11:00:00","15 Jul, 2021 17:45:00"
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def mapping_file(tmp_path: Path, text: str) -> Path:
    return write(tmp_path, "my_crm.yaml", text)


ZOHO_LIKE = """\
name: my_zoho
defaults:
  timestamp: {formats: ['%d %b, %Y %H:%M:%S'], timezone: America/New_York}
  date: {formats: ['%d %b, %Y']}
kinds:
  leads:
    files: [Leads_*.csv]
    columns:
      id: Record Id
      date_entered: Created Time
      date_modified: Modified Time
      assigned_user_id: Lead Owner
      account_name: Company
      lead_source: Lead Source
      status:
        column: Lead Status
        values: {Contacted: In Process, Qualified: Converted, Junk Lead: Dead}
      converted: {column: Converted, true_values: [Yes], false_values: [No]}
  opportunities:
    files: [Deals_*.csv]
    columns:
      # The export has no deal id: one is built from the owner and the deal name.
      id: {template: "{Deal Owner}/{Deal Name}"}
      name: Deal Name
      date_entered: Created Time
      date_modified: Modified Time
      assigned_user_id: Deal Owner
      opportunity_type: Type
      amount: {column: Amount, money: true}
      date_closed: Closing Date
      sales_stage: Stage
      probability: {column: "Probability (%)", percent: true}
"""


def load(con, landing: Path, kind: str, mapping):
    result = load_kind(con, landing, kind, mapping=mapping)
    return result


def test_a_foreign_export_loads_with_its_dates_money_percentages_booleans_and_a_built_key(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "2021-07-18", "Leads_001.csv", ZOHO_LEADS)
    write(landing / "2021-07-18", "Deals_001.csv", ZOHO_DEALS)
    mapping = load_mapping(mapping_file(tmp_path, ZOHO_LIKE))
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    leads, deals = load(con, landing, "leads", mapping), load(con, landing, "opportunities", mapping)
    assert leads.errors == [] and deals.errors == []
    assert (leads.rows_loaded, leads.rows_rejected, deals.rows_loaded) == (3, 0, 2)
    got = con.execute("SELECT id, date_entered, status, converted FROM raw.leads ORDER BY id").fetchall()
    # 15 Apr 2021 00:03 in New York (EDT, UTC-4) is 04:03 UTC.
    assert got == [
        ("zl1", datetime(2021, 4, 15, 4, 3), "In Process", False),
        ("zl2", datetime(2021, 5, 2, 17, 30), "Converted", True),
        ("zl3", datetime(2021, 5, 9, 12, 15), "Dead", False),
    ]
    got = con.execute("SELECT id, amount, probability, date_closed::VARCHAR FROM raw.opportunities ORDER BY id").fetchall()
    assert got == [
        ("zu1/Engines renewal", Decimal("22700"), 90, "2021-06-30"),
        ("zu2/Cobol deal", Decimal("115000"), 100, "2021-07-15"),
    ]
    # The export's own record stays beside the mapped values, with its file and line.
    source, file, line = con.execute(
        "SELECT _source_record->>'Amount', _file, _line FROM raw.opportunities WHERE id = 'zu2/Cobol deal'").fetchone()
    assert (source, file, line) == ("$115.00K", "Deals_001.csv", 3)
    assert con.execute("SELECT rows_read, rows_loaded, rows_rejected, mapping FROM raw.load_log WHERE kind = 'leads'"
                       ).fetchall() == [(3, 3, 0, "my_zoho")]


def test_without_the_right_parsers_every_bad_column_is_listed_at_once_with_the_option_that_reads_it(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "2021-07-18", "Deals_001.csv", ZOHO_DEALS)
    bare = ZOHO_LIKE.split("defaults:")[0] + "kinds:" + ZOHO_LIKE.split("kinds:")[1]
    bare = bare.replace("amount: {column: Amount, money: true}", "amount: Amount")
    path = mapping_file(tmp_path, bare)
    result = load(duckdb.connect(), landing, "opportunities", load_mapping(path))
    assert len(result.errors) == 1
    message = result.errors[0]
    assert "2021-07-18/Deals_001.csv" in message
    for column, option in [
        ("date_entered", "formats: ['%d %b, %Y %H:%M:%S']"),
        ("date_modified", "formats: ['%d %b, %Y %H:%M:%S']"),
        ("date_closed", "formats: ['%d %b, %Y']"),
        ("amount", "money: true"),
    ]:
        line = next(line for line in message.splitlines() if f"column {column} " in line)
        assert "line 2" in line, line
        assert option in line and f"kinds.opportunities.columns.{column}" in line and str(path) in line, line
    assert "Nothing from this file was loaded" in message


def test_an_unknown_key_names_the_mapping_file_and_the_key(tmp_path):
    path = mapping_file(tmp_path, "kinds:\n  leads:\n    columns:\n      id: {colum: Record Id}\n")
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert str(path) in str(err.value) and "kinds.leads.columns.id" in str(err.value) and "colum" in str(err.value)
    with pytest.raises(MappingError, match="kinds.lead: not a kind of the export contract"):
        load_mapping(mapping_file(tmp_path, "kinds:\n  lead: {}\n"))
    with pytest.raises(MappingError, match="leads has no contract column 'email'"):
        load_mapping(mapping_file(tmp_path, "kinds:\n  leads:\n    columns:\n      email: Email\n"))


def test_a_column_the_file_lacks_names_the_mapping_key_the_file_and_the_column(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "2021-07-18", "Leads_001.csv", ZOHO_LEADS)
    path = mapping_file(tmp_path, ZOHO_LIKE.replace("date_modified: Modified Time", "date_modified: Last Modified"))
    result = load(duckdb.connect(), landing, "leads", load_mapping(path))
    assert len(result.errors) == 1
    message = result.errors[0]
    assert str(path) in message and "kinds.leads.columns.date_modified" in message
    assert "'Last Modified'" in message and "2021-07-18/Leads_001.csv" in message


def test_a_parser_that_matches_no_value_names_the_mapping_key_the_file_and_the_column(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "2021-07-18", "Deals_001.csv", ZOHO_DEALS)
    path = mapping_file(tmp_path, ZOHO_LIKE.replace("probability: {column: \"Probability (%)\", percent: true}",
                                                    "date_closed: {column: Closing Date, formats: ['%Y-%m-%d']}"))
    result = load(duckdb.connect(), landing, "opportunities", load_mapping(path))
    assert len(result.errors) == 1
    message = result.errors[0]
    assert str(path) in message and "kinds.opportunities.columns.date_closed" in message
    assert "'Closing Date'" in message and "2021-07-18/Deals_001.csv" in message and "matches none" in message


# MQLs in one file, the deal won from each (if any) in another.
LOOKUP_MAPPING = """\
kinds:
  leads:
    files: [mqls.csv]
    lookups: [{name: deal, files: [deals.csv], key: mql_id, on: mql_id}]
    columns:
      id: mql_id
      date_entered: first_contact
      date_modified: first_contact
      status: {column: deal.mql_id, present: Converted, absent: New}
      assigned_user_id: deal.sdr
"""


def test_a_lookup_joins_a_second_file_and_refuses_one_that_would_multiply_rows(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "2021-07-18", "mqls.csv", "mql_id,first_contact\nm1,2021-01-05\nm2,2021-01-06\n")
    write(landing / "2021-07-18", "deals.csv", "mql_id,sdr\nm2,s1\n")
    path = mapping_file(tmp_path, LOOKUP_MAPPING)
    con = duckdb.connect()
    assert load(con, landing, "leads", load_mapping(path)).errors == []
    assert con.execute("SELECT id, status, assigned_user_id FROM raw.leads ORDER BY id").fetchall() == [
        ("m1", "New", None), ("m2", "Converted", "s1")]
    write(landing / "2021-07-25", "mqls.csv", "mql_id,first_contact\nm3,2021-02-01\n")
    write(landing / "2021-07-25", "deals.csv", "mql_id,sdr\nm3,s1\nm3,s2\n")
    result = load(con, landing, "leads", load_mapping(path))
    assert len(result.errors) == 1 and "2021-07-25/deals.csv" in result.errors[0] and "'m3' (2 rows)" in result.errors[0]
    assert con.execute("SELECT count(*) FROM raw.leads").fetchone()[0] == 2


def test_unpivot_derives_history_rows_and_the_rows_still_reconcile(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "2021-07-18", "deals.csv", """\
        Record ID,Create Date,Date entered "Qualified",Date entered "Closed Won"
        d1,2021-01-04 10:00,2021-01-04 10:00,2021-02-01 09:00
        d2,2021-01-05 10:00,2021-01-05 10:00,
        d3,2021-01-06 10:00,,
        """)
    path = mapping_file(tmp_path, """\
        kinds:
          opportunity_history:
            files: [deals.csv]
            columns:
              opportunity_id: Record ID
            unpivot:
              - {id: {template: "{Record ID}:qualified"}, changed_at: 'Date entered "Qualified"', sales_stage: {value: Qualification}}
              - {id: {template: "{Record ID}:won"}, changed_at: 'Date entered "Closed Won"', sales_stage: {value: Closed Won}}
        """)
    con = duckdb.connect()
    result = load(con, landing, "opportunity_history", load_mapping(path))
    assert result.errors == []
    assert con.execute("SELECT id, opportunity_id, sales_stage FROM raw.opportunity_history ORDER BY changed_at").fetchall() == [
        ("d1:qualified", "d1", "Qualification"), ("d2:qualified", "d2", "Qualification"), ("d1:won", "d1", "Closed Won")]
    # Three records read, three loaded (d3 has no stage date: nothing to derive), four rows derived.
    assert con.execute("SELECT rows_read, rows_loaded, rows_rejected, rows_derived FROM raw.load_log").fetchall() == [
        (3, 3, 0, 3)]


def test_the_presets_parse_and_name_their_vocabularies():
    for name in ("sugarcrm",):
        mapping = load_preset(name)
        assert set(mapping.vocabularies) == {"stage_map", "forecast_category_map", "opportunity_type_map"}
    with pytest.raises(MappingError, match="not a preset"):
        load_preset("sugarcrm_typo")


def test_a_drop_without_the_lookup_file_reads_its_columns_as_empty(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "2021-07-18", "mqls.csv", "mql_id,first_contact\nm1,2021-01-05\n")
    path = mapping_file(tmp_path, LOOKUP_MAPPING)
    con = duckdb.connect()
    assert load(con, landing, "leads", load_mapping(path)).errors == []
    assert con.execute("SELECT id, status, assigned_user_id FROM raw.leads").fetchall() == [("m1", "New", None)]
