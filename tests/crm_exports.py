"""Hand-made CRM exports in the shape of Salesforce, HubSpot and Zoho, each with its twin:
the same business facts written in the SugarCRM export contract.

The business is the same in every vendor's words, in fiscal 2026-Q1 (weeks end on Sunday):

- three leads worked by an SDR: two converted into new-business deals, one not;
- deal 1 (rep Ann, 1000): created in the first stage Wed Jan 7, qualified Fri Jan 9, won
  Tue Jan 20;
- deal 2 (rep Bob, 2000): created Thu Jan 8, skips the second stage on Mon Jan 12, lost
  Sun Jan 25;
- deal 3 (Ann, existing customer, 4000 then 4500): created qualified Mon Jan 12, moves on
  Tue Feb 3, open;
- deal 4 (Bob, 500): created Fri Jan 16, still in the first stage.

Where a vendor's export knows less (HubSpot's stage dates carry no amount or close-date
changes; Zoho's dated columns only a creation, a close and a last modification), its twin
says only what that export can know: the twin is what a SugarCRM user would have exported
had the CRM recorded those facts and no more.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from ingest.mapping import Mapping, load_preset
from tests.drops import change
from tests.warehouse import DropSet


def write_csv(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    """One export file as the vendor writes it: its own header, every field quoted when needed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            assert len(row) == len(header), (name, row)
            writer.writerow(row)
    return path


def twin_mapping(vendor: str) -> Mapping:
    """The SugarCRM contract with the vendor's stage names and opportunity types as the user's
    vocabularies (they are the user's files, docs/mappings.md), so that the stages, their
    order and the motions are the same words on both sides; forecast categories stay
    SugarCRM's own (include, upside, exclude), so the twin also proves the vendor's
    categories land in the same roll-up columns."""
    vendor_vocab = load_preset(vendor).vocabularies
    sugar = load_preset("sugarcrm")
    return replace(sugar, vocabularies={
        "stage_map": vendor_vocab["stage_map"],
        "opportunity_type_map": vendor_vocab["opportunity_type_map"],
        "forecast_category_map": sugar.vocabularies["forecast_category_map"],
    })


# ============================================================================ Salesforce
# Record ids follow Salesforce's prefixes (00Q lead, 006 opportunity, 005 user, 001 account),
# which the preset reads to tell what a task is about; the twin uses the same ids.

SF_USER = ["Id", "Username", "FirstName", "LastName", "Title", "Department", "ManagerId", "IsActive",
           "LastModifiedDate"]
SF_USERS = [
    ["005M", "max@example.com", "Max", "Grant", "Sales Manager", "Sales", "", "true", "2025-12-01T00:00:00.000Z"],
    ["005A", "ann@example.com", "Ann", "Able", "Account Executive", "Sales", "005M", "true", "2025-12-01T00:00:00.000Z"],
    ["005B", "bob@example.com", "Bob", "Baker", "Account Executive", "Sales", "005M", "true", "2025-12-01T00:00:00.000Z"],
    ["005S", "sue@example.com", "Sue", "Sdr", "SDR", "Marketing", "005M", "false", "2025-12-01T00:00:00.000Z"],
]

SF_ACCOUNT = ["Id", "Name", "Type", "Industry", "AnnualRevenue", "NumberOfEmployees", "BillingCountry", "OwnerId",
              "CreatedDate", "LastModifiedDate", "IsDeleted"]
SF_ACCOUNTS = [
    ["0011", "Engines Ltd", "Prospect", "Machinery", "", "", "UK", "005A", "2026-01-07T10:00:00.000Z",
     "2026-01-07T10:00:00.000Z", "false"],
    ["0012", "Cobol Inc", "Prospect", "Software", "", "", "US", "005B", "2026-01-08T09:00:00.000Z",
     "2026-01-08T09:00:00.000Z", "false"],
    ["0013", "Old Customer", "Customer", "Retail", "", "", "FR", "005A", "2020-01-01T00:00:00.000Z",
     "2020-01-01T00:00:00.000Z", "false"],
]

SF_LEAD = ["Id", "IsDeleted", "FirstName", "LastName", "Company", "Country", "Phone", "Email", "LeadSource", "Status",
           "OwnerId", "IsConverted", "ConvertedDate", "ConvertedAccountId", "ConvertedOpportunityId", "CreatedDate",
           "LastModifiedDate"]
SF_LEADS = [
    ["00Q1", "false", "Ada", "Lovelace", "Engines Ltd", "UK", "+44 20 0001", "ada@example.org", "Web",
     "Closed - Converted", "005S", "true", "2026-01-07", "0011", "0061", "2026-01-05T09:00:00.000Z",
     "2026-01-07T10:00:00.000Z"],
    ["00Q2", "false", "Grace", "Hopper", "Navy Labs", "US", "+1 555 0002", "grace@example.org", "Web",
     "Working - Contacted", "005S", "false", "", "", "", "2026-01-06T10:00:00.000Z", "2026-01-06T12:00:00.000Z"],
    ["00Q3", "false", "Alan", "Turing", "Cobol Inc", "US", "+1 555 0003", "alan@example.org", "Trade Show",
     "Closed - Converted", "005S", "true", "2026-01-08", "0012", "0062", "2026-01-07T11:00:00.000Z",
     "2026-01-08T09:00:00.000Z"],
]

SF_OPPORTUNITY = ["Id", "IsDeleted", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate", "Type",
                  "LeadSource", "IsClosed", "IsWon", "ForecastCategory", "ForecastCategoryName", "CampaignId", "OwnerId",
                  "CreatedDate", "LastModifiedDate"]
SF_OPPORTUNITIES = [
    ["0061", "false", "0011", "Engines deal", "Closed Won", "1000", "100", "2026-01-20", "New Customer", "Web", "true",
     "true", "Closed", "Closed", "", "005A", "2026-01-07T10:00:00.000Z", "2026-01-20T10:00:00.000Z"],
    ["0062", "false", "0012", "Cobol deal", "Closed Lost", "2000", "0", "2026-01-25", "New Customer", "Trade Show",
     "true", "false", "Omitted", "Omitted", "", "005B", "2026-01-08T09:00:00.000Z", "2026-01-25T09:00:00.000Z"],
    ["0063", "false", "0013", "Upsell", "Needs Analysis", "4500", "30", "2026-03-20", "Existing Customer - Upgrade", "",
     "false", "false", "BestCase", "Best Case", "", "005A", "2026-01-12T10:00:00.000Z", "2026-02-03T10:00:00.000Z"],
    ["0064", "false", "0012", "Second try", "Prospecting", "500", "10", "2026-02-28", "New Customer", "Trade Show",
     "false", "false", "Omitted", "Omitted", "", "005B", "2026-01-16T12:00:00.000Z", "2026-01-16T12:00:00.000Z"],
]

SF_HISTORY = ["Id", "OpportunityId", "CreatedById", "CreatedDate", "StageName", "Amount", "ExpectedRevenue", "CloseDate",
              "Probability", "ForecastCategory", "IsDeleted", "SystemModstamp"]


def _sf_state(hid, oid, at, stage, amount, close, probability, category):
    return [hid, oid, "005A", at, stage, amount, "", close, probability, category, "false", at]


SF_HISTORIES = [
    # Deal 1: best case at 800 closing Feb 15; qualified at 1000 and committed; won on Jan 20.
    _sf_state("0081", "0061", "2026-01-07T10:00:00.000Z", "Prospecting", "800", "2026-02-15", "10", "BestCase"),
    _sf_state("0082", "0061", "2026-01-09T10:00:00.000Z", "Qualification", "1000", "2026-02-15", "20", "Forecast"),
    _sf_state("0083", "0061", "2026-01-20T10:00:00.000Z", "Closed Won", "1000", "2026-01-20", "100", "Closed"),
    # Deal 2: omitted, then best case once it skipped to Needs Analysis, then lost.
    _sf_state("0084", "0062", "2026-01-08T09:00:00.000Z", "Prospecting", "2000", "2026-03-31", "10", "Omitted"),
    _sf_state("0085", "0062", "2026-01-12T09:00:00.000Z", "Needs Analysis", "2000", "2026-03-31", "20", "BestCase"),
    _sf_state("0086", "0062", "2026-01-25T09:00:00.000Z", "Closed Lost", "2000", "2026-01-25", "0", "Omitted"),
    # Deal 3: created qualified at 4000, moved on and raised to 4500.
    _sf_state("0087", "0063", "2026-01-12T10:00:00.000Z", "Qualification", "4000", "2026-03-20", "20", "BestCase"),
    _sf_state("0088", "0063", "2026-02-03T10:00:00.000Z", "Needs Analysis", "4500", "2026-03-20", "30", "BestCase"),
    _sf_state("0089", "0064", "2026-01-16T12:00:00.000Z", "Prospecting", "500", "2026-02-28", "10", "Omitted"),
]

# Field history is on for deal 1's stage: the same stage changes, as old and new values
# (the audit log wins for that field), plus rows the warehouse does not replay.
SF_FIELD_HISTORY = ["Id", "OpportunityId", "CreatedById", "CreatedDate", "Field", "OldValue", "NewValue", "IsDeleted"]
SF_FIELD_HISTORIES = [
    ["0171", "0061", "005A", "2026-01-07T10:00:00.000Z", "created", "", "", "false"],
    ["0172", "0061", "005A", "2026-01-09T10:00:00.000Z", "StageName", "Prospecting", "Qualification", "false"],
    ["0173", "0061", "005A", "2026-01-20T10:00:00.000Z", "StageName", "Qualification", "Closed Won", "false"],
]

SF_TASK = ["Id", "WhoId", "WhatId", "Subject", "Type", "Status", "ActivityDate", "CompletedDateTime", "OwnerId",
           "IsDeleted", "CreatedDate", "LastModifiedDate"]
SF_TASKS = [
    # Sue calls Grace two hours after she became an MQL; a call planned for Ada does not count.
    ["00T1", "00Q2", "", "Call", "Call", "Completed", "2026-01-06", "2026-01-06T12:00:00.000Z", "005S", "false",
     "2026-01-06T11:00:00.000Z", "2026-01-06T12:00:00.000Z"],
    ["00T2", "00Q1", "", "Call", "Call", "Not Started", "2026-01-05", "", "005S", "false",
     "2026-01-05T09:30:00.000Z", "2026-01-05T09:30:00.000Z"],
]

# A lead and a deal that a later weekly export leaves out: deleted in Salesforce.
SF_DELETED_LEAD = ["00Q9", "false", "Kurt", "Goedel", "Logic AG", "AT", "+43 1 0009", "kurt@example.org", "Web",
                   "Closed - Converted", "005S", "true", "2026-01-10", "0012", "0069", "2026-01-09T09:00:00.000Z",
                   "2026-01-10T09:00:00.000Z"]
SF_DELETED_OPPORTUNITY = ["0069", "false", "0012", "Logic deal", "Qualification", "9000", "20", "2026-03-15",
                          "New Customer", "Web", "false", "false", "Forecast", "Commit", "", "005B",
                          "2026-01-10T09:00:00.000Z", "2026-01-10T09:00:00.000Z"]
SF_DELETED_HISTORY = _sf_state("0090", "0069", "2026-01-10T09:00:00.000Z", "Qualification", "9000", "2026-03-15", "20",
                               "Forecast")


def write_salesforce_export(folder: Path, *, with_deleted: bool = False) -> None:
    """One weekly Data Export: the whole org, one file per object."""
    extra = (lambda row: [row]) if with_deleted else (lambda row: [])
    write_csv(folder, "User.csv", SF_USER, SF_USERS)
    write_csv(folder, "Account.csv", SF_ACCOUNT, SF_ACCOUNTS)
    write_csv(folder, "Lead.csv", SF_LEAD, SF_LEADS + extra(SF_DELETED_LEAD))
    write_csv(folder, "Opportunity.csv", SF_OPPORTUNITY, SF_OPPORTUNITIES + extra(SF_DELETED_OPPORTUNITY))
    write_csv(folder, "OpportunityHistory.csv", SF_HISTORY, SF_HISTORIES + extra(SF_DELETED_HISTORY))
    write_csv(folder, "OpportunityFieldHistory.csv", SF_FIELD_HISTORY, SF_FIELD_HISTORIES)
    write_csv(folder, "Task.csv", SF_TASK, SF_TASKS)


def _sugar_users(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"status": "Active", "date_modified": "2025-12-01 00:00:00", **r} for r in rows]


SALESFORCE_TWIN: DropSet = {
    "2026-02-22": {
        "users": _sugar_users([
            {"id": "005M", "user_name": "max@example.com", "first_name": "Max", "last_name": "Grant",
             "title": "Sales Manager", "department": "Sales"},
            {"id": "005A", "user_name": "ann@example.com", "first_name": "Ann", "last_name": "Able",
             "title": "Account Executive", "department": "Sales", "reports_to_id": "005M"},
            {"id": "005B", "user_name": "bob@example.com", "first_name": "Bob", "last_name": "Baker",
             "title": "Account Executive", "department": "Sales", "reports_to_id": "005M"},
            {"id": "005S", "user_name": "sue@example.com", "first_name": "Sue", "last_name": "Sdr", "title": "SDR",
             "department": "Marketing", "reports_to_id": "005M", "status": "Inactive"},
        ]),
        "accounts": [
            {"id": "0011", "name": "Engines Ltd", "account_type": "Prospect", "industry": "Machinery",
             "billing_address_country": "UK", "assigned_user_id": "005A", "date_entered": "2026-01-07 10:00:00",
             "date_modified": "2026-01-07 10:00:00"},
            {"id": "0012", "name": "Cobol Inc", "account_type": "Prospect", "industry": "Software",
             "billing_address_country": "US", "assigned_user_id": "005B", "date_entered": "2026-01-08 09:00:00",
             "date_modified": "2026-01-08 09:00:00"},
            {"id": "0013", "name": "Old Customer", "account_type": "Customer", "industry": "Retail",
             "billing_address_country": "FR", "assigned_user_id": "005A", "date_entered": "2020-01-01 00:00:00",
             "date_modified": "2020-01-01 00:00:00"},
        ],
        "leads": [
            {"id": "00Q1", "first_name": "Ada", "last_name": "Lovelace", "account_name": "Engines Ltd",
             "primary_address_country": "UK", "phone_work": "+44 20 0001", "email1": "ada@example.org",
             "lead_source": "Web", "status": "Converted", "assigned_user_id": "005S", "converted": "1",
             "account_id": "0011", "opportunity_id": "0061", "date_entered": "2026-01-05 09:00:00",
             "date_modified": "2026-01-07 10:00:00"},
            {"id": "00Q2", "first_name": "Grace", "last_name": "Hopper", "account_name": "Navy Labs",
             "primary_address_country": "US", "phone_work": "+1 555 0002", "email1": "grace@example.org",
             "lead_source": "Web", "status": "In Process", "assigned_user_id": "005S", "converted": "0",
             "date_entered": "2026-01-06 10:00:00", "date_modified": "2026-01-06 12:00:00"},
            {"id": "00Q3", "first_name": "Alan", "last_name": "Turing", "account_name": "Cobol Inc",
             "primary_address_country": "US", "phone_work": "+1 555 0003", "email1": "alan@example.org",
             "lead_source": "Trade Show", "status": "Converted", "assigned_user_id": "005S", "converted": "1",
             "account_id": "0012", "opportunity_id": "0062", "date_entered": "2026-01-07 11:00:00",
             "date_modified": "2026-01-08 09:00:00"},
        ],
        "opportunities": [
            {"id": "0061", "name": "Engines deal", "account_id": "0011", "sales_stage": "Closed Won", "amount": "1000",
             "probability": "100", "date_closed": "2026-01-20", "opportunity_type": "New Customer", "lead_source": "Web",
             "commit_stage": "include", "assigned_user_id": "005A", "date_entered": "2026-01-07 10:00:00",
             "date_modified": "2026-01-20 10:00:00"},
            {"id": "0062", "name": "Cobol deal", "account_id": "0012", "sales_stage": "Closed Lost", "amount": "2000",
             "probability": "0", "date_closed": "2026-01-25", "opportunity_type": "New Customer",
             "lead_source": "Trade Show", "commit_stage": "exclude", "assigned_user_id": "005B",
             "date_entered": "2026-01-08 09:00:00", "date_modified": "2026-01-25 09:00:00"},
            {"id": "0063", "name": "Upsell", "account_id": "0013", "sales_stage": "Needs Analysis", "amount": "4500",
             "probability": "30", "date_closed": "2026-03-20", "opportunity_type": "Existing Customer - Upgrade",
             "commit_stage": "upside", "assigned_user_id": "005A", "date_entered": "2026-01-12 10:00:00",
             "date_modified": "2026-02-03 10:00:00"},
            {"id": "0064", "name": "Second try", "account_id": "0012", "sales_stage": "Prospecting", "amount": "500",
             "probability": "10", "date_closed": "2026-02-28", "opportunity_type": "New Customer",
             "lead_source": "Trade Show", "commit_stage": "exclude", "assigned_user_id": "005B",
             "date_entered": "2026-01-16 12:00:00", "date_modified": "2026-01-16 12:00:00"},
        ],
        # Salesforce moves a closed deal's forecast category to Closed (won) or Omitted (lost)
        # by itself; SugarCRM has no "closed" commit_stage, so deal 1 keeps include.
        "opportunities_audit": [
            change("a01", "0061", "2026-01-09 10:00:00", "sales_stage", "Prospecting", "Qualification"),
            change("a02", "0061", "2026-01-09 10:00:00", "amount", "800", "1000"),
            change("a03", "0061", "2026-01-09 10:00:00", "probability", "10", "20"),
            change("a04", "0061", "2026-01-09 10:00:00", "commit_stage", "upside", "include"),
            change("a05", "0061", "2026-01-20 10:00:00", "sales_stage", "Qualification", "Closed Won"),
            change("a06", "0061", "2026-01-20 10:00:00", "date_closed", "2026-02-15", "2026-01-20"),
            change("a07", "0061", "2026-01-20 10:00:00", "probability", "20", "100"),
            change("a08", "0062", "2026-01-12 09:00:00", "sales_stage", "Prospecting", "Needs Analysis"),
            change("a09", "0062", "2026-01-12 09:00:00", "probability", "10", "20"),
            change("a10", "0062", "2026-01-12 09:00:00", "commit_stage", "exclude", "upside"),
            change("a11", "0062", "2026-01-25 09:00:00", "sales_stage", "Needs Analysis", "Closed Lost"),
            change("a12", "0062", "2026-01-25 09:00:00", "date_closed", "2026-03-31", "2026-01-25"),
            change("a13", "0062", "2026-01-25 09:00:00", "probability", "20", "0"),
            change("a14", "0062", "2026-01-25 09:00:00", "commit_stage", "upside", "exclude"),
            change("a15", "0063", "2026-02-03 10:00:00", "sales_stage", "Qualification", "Needs Analysis"),
            change("a16", "0063", "2026-02-03 10:00:00", "amount", "4000", "4500"),
            change("a17", "0063", "2026-02-03 10:00:00", "probability", "20", "30"),
        ],
        "calls": [
            {"id": "00T1", "date_start": "2026-01-06 12:00:00", "parent_type": "Leads", "parent_id": "00Q2",
             "status": "Held", "assigned_user_id": "005S", "date_modified": "2026-01-06 12:00:00"},
            {"id": "00T2", "date_start": "2026-01-05 00:00:00", "parent_type": "Leads", "parent_id": "00Q1",
             "status": "Planned", "assigned_user_id": "005S", "date_modified": "2026-01-05 09:30:00"},
        ],
    },
}


# ============================================================================ HubSpot
# HubSpot names owners ("Ann Able"); the preset keys owners that way, and so does the twin.

HS_OWNER = ["Owner ID", "First Name", "Last Name", "Email", "Teams"]
HS_OWNERS = [
    ["101", "Ann", "Able", "ann@example.com", "Hunters"],
    ["102", "Bob", "Baker", "bob@example.com", "Hunters;Farmers"],
    ["103", "Sue", "Sdr", "sue@example.com", "SDR"],
]

HS_CONTACT = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Lifecycle Stage",
              "Lead Status", "Contact owner", "Associated Deal", "Original Source", "Create Date", "Last Modified Date",
              "Became a Lead Date", "Became a Marketing Qualified Lead Date", "Became a Sales Qualified Lead Date",
              "Became an Opportunity Date", "Became a Customer Date"]
HS_CONTACTS = [
    ["c1", "Ada", "Lovelace", "ada@example.org", "+44 20 0001", "Engines Ltd", "Customer", "Open Deal", "Sue Sdr", "d1",
     "Organic Search", "2026-01-05 08:30", "2026-01-20 10:00", "2026-01-05 08:30", "2026-01-05 09:00",
     "2026-01-07 09:00", "2026-01-07 10:00", "2026-01-20 10:00"],
    ["c2", "Grace", "Hopper", "grace@example.org", "+1 555 0002", "Navy Labs", "Marketing Qualified Lead",
     "Attempted to Contact", "Sue Sdr", "", "Paid Search", "2026-01-06 10:00", "2026-01-06 12:00", "2026-01-06 10:00",
     "2026-01-06 10:00", "", "", ""],
    # Two deals: the contact is converted into the first one listed.
    ["c3", "Alan", "Turing", "alan@example.org", "+1 555 0003", "Cobol Inc", "Opportunity", "Open Deal", "Sue Sdr",
     "d2;d4", "Offline Sources", "2026-01-07 11:00", "2026-01-08 09:00", "2026-01-07 11:00", "", "", "2026-01-08 09:00",
     ""],
]

HS_STAGES = ["Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Decision Maker Bought-In",
             "Contract Sent", "Closed Won", "Closed Lost"]
HS_DEAL = ["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Create Date",
           "Last Modified Date", "Deal owner", "Deal Type", "Forecast category", "Deal probability",
           "Associated Company"] + [f'Date entered "{s} (Sales Pipeline)"' for s in HS_STAGES]


def _hs_deal(rid, name, stage, amount, close, created, modified, owner, deal_type, category, probability, company,
             entered: dict[str, str]):
    return ([rid, name, stage, "Sales Pipeline", amount, close, created, modified, owner, deal_type, category,
             probability, company] + [entered.get(s, "") for s in HS_STAGES])


HS_DEALS = [
    _hs_deal("d1", "Engines deal", "Closed Won", "1000", "2026-01-20", "2026-01-07 10:00", "2026-01-20 10:00",
             "Ann Able", "New Business", "Commit", "1", "Engines Ltd",
             {"Appointment Scheduled": "2026-01-07 10:00", "Qualified To Buy": "2026-01-09 10:00",
              "Closed Won": "2026-01-20 10:00"}),
    _hs_deal("d2", "Cobol deal", "Closed Lost", "2000", "2026-01-25", "2026-01-08 09:00", "2026-01-25 09:00",
             "Bob Baker", "New Business", "Not forecasted", "0", "Cobol Inc",
             {"Appointment Scheduled": "2026-01-08 09:00", "Presentation Scheduled": "2026-01-12 09:00",
              "Closed Lost": "2026-01-25 09:00"}),
    _hs_deal("d3", "Upsell", "Presentation Scheduled", "$4,500.00", "2026-03-20", "2026-01-12 10:00",
             "2026-02-03 10:00", "Ann Able", "Existing Business", "Best case", "0.6", "Old Customer",
             {"Qualified To Buy": "2026-01-12 10:00", "Presentation Scheduled": "2026-02-03 10:00"}),
    _hs_deal("d4", "Second try", "Appointment Scheduled", "500", "2026-02-28", "2026-01-16 12:00", "2026-01-16 12:00",
             "Bob Baker", "New Business", "Not forecasted", "0.2", "Cobol Inc",
             {"Appointment Scheduled": "2026-01-16 12:00"}),
]


def write_hubspot_export(folder: Path) -> None:
    write_csv(folder, "hubspot-owners.csv", HS_OWNER, HS_OWNERS)
    write_csv(folder, "hubspot-crm-exports-all-contacts-2026-02-22.csv", HS_CONTACT, HS_CONTACTS)
    write_csv(folder, "hubspot-crm-exports-all-deals-2026-02-22.csv", HS_DEAL, HS_DEALS)


def _hs_opportunity(oid, name, stage, amount, close, created, modified, owner, opp_type, commit, probability, account):
    return {"id": oid, "name": name, "sales_stage": stage, "amount": amount, "date_closed": close,
            "date_entered": created, "date_modified": modified, "assigned_user_id": owner, "opportunity_type": opp_type,
            "commit_stage": commit, "probability": probability, "account_id": account}


HUBSPOT_TWIN: DropSet = {
    "2026-02-22": {
        # No "reports to" in HubSpot: every owner is a manager of nobody.
        "users": [
            {"id": "Ann Able", "user_name": "ann@example.com", "first_name": "Ann", "last_name": "Able",
             "department": "Hunters"},
            {"id": "Bob Baker", "user_name": "bob@example.com", "first_name": "Bob", "last_name": "Baker",
             "department": "Hunters"},
            {"id": "Sue Sdr", "user_name": "sue@example.com", "first_name": "Sue", "last_name": "Sdr",
             "department": "SDR"},
        ],
        "leads": [
            {"id": "c1", "first_name": "Ada", "last_name": "Lovelace", "email1": "ada@example.org",
             "phone_work": "+44 20 0001", "account_name": "Engines Ltd", "status": "Converted",
             "assigned_user_id": "Sue Sdr", "converted": "1", "opportunity_id": "d1", "lead_source": "Organic Search",
             "date_entered": "2026-01-05 08:30:00", "date_modified": "2026-01-20 10:00:00"},
            {"id": "c2", "first_name": "Grace", "last_name": "Hopper", "email1": "grace@example.org",
             "phone_work": "+1 555 0002", "account_name": "Navy Labs", "status": "In Process",
             "assigned_user_id": "Sue Sdr", "converted": "0", "lead_source": "Paid Search",
             "date_entered": "2026-01-06 10:00:00", "date_modified": "2026-01-06 12:00:00"},
            {"id": "c3", "first_name": "Alan", "last_name": "Turing", "email1": "alan@example.org",
             "phone_work": "+1 555 0003", "account_name": "Cobol Inc", "status": "Converted",
             "assigned_user_id": "Sue Sdr", "converted": "1", "opportunity_id": "d2", "lead_source": "Offline Sources",
             "date_entered": "2026-01-07 11:00:00", "date_modified": "2026-01-08 09:00:00"},
        ],
        "mql_events": [
            {"lead_id": "c1", "event_type": "mql", "event_at": "2026-01-05 09:00:00"},
            {"lead_id": "c2", "event_type": "mql", "event_at": "2026-01-06 10:00:00"},
        ],
        "opportunities": [
            _hs_opportunity("d1", "Engines deal", "Closed Won", "1000", "2026-01-20", "2026-01-07 10:00:00",
                            "2026-01-20 10:00:00", "Ann Able", "New Business", "include", "100", "Engines Ltd"),
            _hs_opportunity("d2", "Cobol deal", "Closed Lost", "2000", "2026-01-25", "2026-01-08 09:00:00",
                            "2026-01-25 09:00:00", "Bob Baker", "New Business", "exclude", "0", "Cobol Inc"),
            _hs_opportunity("d3", "Upsell", "Presentation Scheduled", "4500", "2026-03-20", "2026-01-12 10:00:00",
                            "2026-02-03 10:00:00", "Ann Able", "Existing Business", "upside", "60", "Old Customer"),
            _hs_opportunity("d4", "Second try", "Appointment Scheduled", "500", "2026-02-28", "2026-01-16 12:00:00",
                            "2026-01-16 12:00:00", "Bob Baker", "New Business", "exclude", "20", "Cobol Inc"),
        ],
        # What HubSpot's stage dates know: stage changes only (deal 3's amount change and the
        # close-date changes are not in them, so the twin has none either).
        "opportunities_audit": [
            change("a1", "d1", "2026-01-09 10:00:00", "sales_stage", "Appointment Scheduled", "Qualified To Buy"),
            change("a2", "d1", "2026-01-20 10:00:00", "sales_stage", "Qualified To Buy", "Closed Won"),
            change("a3", "d2", "2026-01-12 09:00:00", "sales_stage", "Appointment Scheduled", "Presentation Scheduled"),
            change("a4", "d2", "2026-01-25 09:00:00", "sales_stage", "Presentation Scheduled", "Closed Lost"),
            change("a5", "d3", "2026-02-03 10:00:00", "sales_stage", "Qualified To Buy", "Presentation Scheduled"),
        ],
    },
}


# ============================================================================ Zoho
# Zoho names owners and managers too; dates as the user's locale shows them, money with
# symbols and K suffixes, percentages with %.

ZO_USER = ["Record Id", "First Name", "Last Name", "Email", "Role", "Reporting To"]
ZO_USERS = [
    ["zu1", "Max", "Grant", "max@example.com", "Manager", ""],
    ["zu2", "Ann", "Able", "ann@example.com", "Sales Rep", "Max Grant"],
    ["zu3", "Bob", "Baker", "bob@example.com", "Sales Rep", "Max Grant"],
    ["zu4", "Sue", "Sdr", "sue@example.com", "SDR", "Max Grant"],
]

ZO_LEAD = ["Record Id", "Lead Owner", "First Name", "Last Name", "Email", "Phone", "Company", "Lead Source",
           "Lead Status", "Created Time", "Modified Time", "Converted"]
ZO_LEADS = [
    ["zl1", "Sue Sdr", "Ada", "Lovelace", "ada@example.org", "+44 20 0001", "Engines Ltd", "Web Site", "Contacted",
     "05 Jan, 2026 09:00:00", "07 Jan, 2026 10:00:00", "Yes"],
    ["zl2", "Sue Sdr", "Grace", "Hopper", "grace@example.org", "+1 555 0002", "Navy Labs", "Web Site",
     "Attempted to Contact", "06 Jan, 2026 10:00:00", "06 Jan, 2026 12:00:00", "No"],
    ["zl3", "Sue Sdr", "Alan", "Turing", "alan@example.org", "+1 555 0003", "Cobol Inc", "Trade Show", "Junk Lead",
     "07 Jan, 2026 11:00:00", "08 Jan, 2026 09:00:00", "No"],
]

ZO_DEAL = ["Record Id", "Deal Owner", "Deal Name", "Account Name", "Type", "Lead Source", "Amount", "Closing Date",
           "Stage", "Probability (%)", "Created Time", "Modified Time", "Campaign Source"]
ZO_DEALS = [
    # Won on its closing date, edited the next morning.
    ["zd1", "Ann Able", "Engines deal", "Engines Ltd", "New Business", "Web Site", "$1,000.00", "20 Jan, 2026",
     "Closed Won", "100%", "07 Jan, 2026 10:00:00", "21 Jan, 2026 09:00:00", ""],
    # Lost (the display spelling of "Closed Lost to Competition"), last edited when it was lost.
    ["zd2", "Bob Baker", "Cobol deal", "Cobol Inc", "New Business", "Trade Show", "$2.00K", "25 Jan, 2026",
     "Closed-Lost to Competition", "0%", "08 Jan, 2026 09:00:00", "25 Jan, 2026 09:00:00", ""],
    ["zd3", "Ann Able", "Upsell", "Old Customer", "Existing Business", "", "$4,500.00", "20 Mar, 2026",
     "Needs Analysis", "20%", "12 Jan, 2026 10:00:00", "03 Feb, 2026 10:00:00", ""],
    ["zd4", "Bob Baker", "Second try", "Cobol Inc", "New Business", "Trade Show", "$500.00", "28 Feb, 2026",
     "Qualification", "10%", "16 Jan, 2026 12:00:00", "16 Jan, 2026 12:00:00", ""],
    # The display spelling of "Id. Decision Makers", and a K amount.
    ["zd5", "Ann Able", "Big one", "Engines Ltd", "New Business", "Web Site", "$115.00K", "31 Mar, 2026",
     "Identify Decision Makers", "60%", "19 Jan, 2026 08:00:00", "10 Feb, 2026 15:30:00", ""],
]


def write_zoho_export(folder: Path) -> None:
    write_csv(folder, "Users_001.csv", ZO_USER, ZO_USERS)
    write_csv(folder, "Leads_001.csv", ZO_LEAD, ZO_LEADS)
    write_csv(folder, "Deals_001.csv", ZO_DEAL, ZO_DEALS)


def _zo_opportunity(oid, owner, name, account, opp_type, source, amount, close, stage, probability, created, modified):
    return {"id": oid, "assigned_user_id": owner, "name": name, "account_id": account, "opportunity_type": opp_type,
            "lead_source": source, "amount": amount, "date_closed": close, "sales_stage": stage,
            "probability": probability, "date_entered": created, "date_modified": modified}


ZOHO_TWIN: DropSet = {
    "2026-02-22": {
        "users": [
            {"id": "Max Grant", "user_name": "max@example.com", "first_name": "Max", "last_name": "Grant",
             "title": "Manager"},
            {"id": "Ann Able", "user_name": "ann@example.com", "first_name": "Ann", "last_name": "Able",
             "title": "Sales Rep", "reports_to_id": "Max Grant"},
            {"id": "Bob Baker", "user_name": "bob@example.com", "first_name": "Bob", "last_name": "Baker",
             "title": "Sales Rep", "reports_to_id": "Max Grant"},
            {"id": "Sue Sdr", "user_name": "sue@example.com", "first_name": "Sue", "last_name": "Sdr", "title": "SDR",
             "reports_to_id": "Max Grant"},
        ],
        # Zoho's lead export does not name the deal a lead became: no conversions.
        "leads": [
            {"id": "zl1", "assigned_user_id": "Sue Sdr", "first_name": "Ada", "last_name": "Lovelace",
             "email1": "ada@example.org", "phone_work": "+44 20 0001", "account_name": "Engines Ltd",
             "lead_source": "Web Site", "status": "In Process", "converted": "1",
             "date_entered": "2026-01-05 09:00:00", "date_modified": "2026-01-07 10:00:00"},
            {"id": "zl2", "assigned_user_id": "Sue Sdr", "first_name": "Grace", "last_name": "Hopper",
             "email1": "grace@example.org", "phone_work": "+1 555 0002", "account_name": "Navy Labs",
             "lead_source": "Web Site", "status": "In Process", "converted": "0",
             "date_entered": "2026-01-06 10:00:00", "date_modified": "2026-01-06 12:00:00"},
            {"id": "zl3", "assigned_user_id": "Sue Sdr", "first_name": "Alan", "last_name": "Turing",
             "email1": "alan@example.org", "phone_work": "+1 555 0003", "account_name": "Cobol Inc",
             "lead_source": "Trade Show", "status": "Dead", "converted": "0",
             "date_entered": "2026-01-07 11:00:00", "date_modified": "2026-01-08 09:00:00"},
        ],
        "opportunities": [
            _zo_opportunity("zd1", "Ann Able", "Engines deal", "Engines Ltd", "New Business", "Web Site", "1000",
                            "2026-01-20", "Closed Won", "100", "2026-01-07 10:00:00", "2026-01-21 09:00:00"),
            _zo_opportunity("zd2", "Bob Baker", "Cobol deal", "Cobol Inc", "New Business", "Trade Show", "2000",
                            "2026-01-25", "Closed-Lost to Competition", "0", "2026-01-08 09:00:00",
                            "2026-01-25 09:00:00"),
            _zo_opportunity("zd3", "Ann Able", "Upsell", "Old Customer", "Existing Business", "", "4500",
                            "2026-03-20", "Needs Analysis", "20", "2026-01-12 10:00:00", "2026-02-03 10:00:00"),
            _zo_opportunity("zd4", "Bob Baker", "Second try", "Cobol Inc", "New Business", "Trade Show", "500",
                            "2026-02-28", "Qualification", "10", "2026-01-16 12:00:00", "2026-01-16 12:00:00"),
            _zo_opportunity("zd5", "Ann Able", "Big one", "Engines Ltd", "New Business", "Web Site", "115000",
                            "2026-03-31", "Identify Decision Makers", "60", "2026-01-19 08:00:00",
                            "2026-02-10 15:30:00"),
        ],
        # What Zoho's dated columns know: every deal starts in the first stage when created;
        # a closed deal closed by the end of its closing date, or at its last edit if that
        # came first; an open deal was in its current stage by its last edit.  Deal 1 skipped
        # nothing it can show: it is never seen qualified before it is won.
        "opportunities_audit": [
            change("a1", "zd1", "2026-01-20 23:59:59", "sales_stage", "Qualification", "Closed Won"),
            change("a2", "zd2", "2026-01-25 09:00:00", "sales_stage", "Qualification", "Closed-Lost to Competition"),
            change("a3", "zd3", "2026-02-03 10:00:00", "sales_stage", "Qualification", "Needs Analysis"),
            change("a4", "zd5", "2026-02-10 15:30:00", "sales_stage", "Qualification", "Identify Decision Makers"),
        ],
    },
}
