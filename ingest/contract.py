"""The export contract, version 1: the one definition of every file kind and column.

Everything that needs to know the contract reads it from here: the loader and its
validation (ingest/load.py), the sample generator (sample_exports/), the dbt
sources (dbt_project/models/staging/_sources.yml, rendered by ``render_dbt_sources``)
and the contract table in docs/exports.md (rendered by ``render_docs_tables``).
tests/test_contract.py fails when a rendered file no longer matches this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The contract's type names and how each is stored in DuckDB.  Timestamps are parsed
# as TIMESTAMPTZ (so an offset such as +02:00 is honoured) and stored as naive UTC.
DUCKDB_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "bool": "BOOLEAN",
    # 12 places keep a rate such as 0.00006137 (IDR) exactly; 38 digits leave 26 before the
    # point.  Wider scales would overflow DuckDB's decimal multiplication (the scales add up:
    # amount x rate is DECIMAL(38,24), good to 10^14), so staging casts such products back.
    "decimal": "DECIMAL(38,12)",
    "integer": "BIGINT",
}

# What a user is told was expected when a value does not parse.
TYPE_EXPECTATIONS: dict[str, str] = {
    "text": "text",
    "timestamp": "an ISO 8601 timestamp such as 2026-03-05 14:22:10 or 2026-03-05T14:22:10Z",
    "date": "a date written YYYY-MM-DD",
    "bool": "a boolean written 0/1 or true/false",
    "decimal": "a plain decimal number such as 22700.00",
    "integer": "a whole number",
}

# Columns the loader adds to every raw row: where it came from.
LINEAGE_COLUMNS: dict[str, str] = {
    "_drop": "VARCHAR",  # the drop folder name, e.g. 2026-11-23
    "_file": "VARCHAR",  # the file name inside the drop
    "_line": "BIGINT",  # the file line where the record starts (header = line 1); the row number for parquet
    "_loaded_at": "TIMESTAMP",  # when this row was loaded (UTC)
    # The file was a full snapshot of its kind (a mapping's `snapshot: true`): a record
    # missing from a later snapshot of the kind is deleted.
    "_snapshot": "BOOLEAN",
}

# Where the opportunities' stage history can come from: the audit log (changes), or a
# history of states (one row per opportunity per moment, e.g. Salesforce's
# OpportunityHistory, or derived by a mapping from dated columns).  A warehouse needs
# at least one of them: without a history no velocity or as-of figure can be computed.
STAGE_HISTORY_KINDS: tuple[str, ...] = ("opportunities_audit", "opportunity_history")

CRM = "sugarcrm"
MARKETING = "marketing"
REFERENCE = "reference"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    description: str = ""

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class FileKind:
    name: str
    source: str  # which system exports it: sugarcrm, marketing or reference
    required: bool
    description: str
    key: tuple[str, ...]  # what identifies one record across drops
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def version_column(self) -> str | None:
        """The column that orders versions of one record: the latest wins."""
        return "date_modified" if "date_modified" in self.column_names else None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _cols(*specs: tuple[str, str, bool, str]) -> tuple[Column, ...]:
    return tuple(Column(n, t, r, d) for n, t, r, d in specs)


_T, _TS, _D, _B, _DEC, _INT = "text", "timestamp", "date", "bool", "decimal", "integer"

FILE_KINDS: tuple[FileKind, ...] = (
    FileKind(
        "leads", CRM, True, "one row per lead (an MQL in the CRM)", ("id",),
        _cols(
            ("id", _T, True, "lead key"),
            ("date_entered", _TS, True, "created in the CRM"),
            ("date_modified", _TS, True, "version of the record"),
            ("deleted", _B, False, "1 = deleted"),
            ("assigned_user_id", _T, False, "the SDR working it (users.id)"),
            ("first_name", _T, False, "personal data: raw and staging only"),
            ("last_name", _T, False, "personal data: raw and staging only"),
            ("email1", _T, False, "personal data: raw and staging only"),
            ("phone_work", _T, False, "personal data: raw and staging only"),
            ("account_name", _T, False, "company as typed on the lead"),
            ("account_id", _T, False, "the account it was converted into"),
            ("status", _T, True, "New, Assigned, In Process, Converted, Recycled, Dead"),
            ("lead_source", _T, False, "Web Site, Campaign, Trade Show, Cold Call, ..."),
            ("campaign_id", _T, False, "the campaign that sourced it"),
            ("converted", _B, False, "converted to an opportunity"),
            ("opportunity_id", _T, False, "the opportunity it was converted into"),
            ("primary_address_country", _T, False, "country"),
        ),
    ),
    FileKind(
        "opportunities", CRM, True, "one row per opportunity (deal)", ("id",),
        _cols(
            ("id", _T, True, "opportunity key"),
            ("name", _T, True, "title"),
            ("date_entered", _TS, True, "created in the CRM"),
            ("date_modified", _TS, True, "version of the record"),
            ("deleted", _B, False, "1 = deleted"),
            ("assigned_user_id", _T, True, "the owner (rep)"),
            ("account_id", _T, False, "the account"),
            ("opportunity_type", _T, False, "New Business or Existing Business"),
            ("lead_source", _T, False, "where it came from"),
            ("campaign_id", _T, False, "the campaign it came from"),
            ("amount", _DEC, True, "in currency_id"),
            ("currency_id", _T, False, "ISO 4217 code; empty = the reporting currency"),
            ("amount_usdollar", _DEC, False, "the amount already converted to the reporting currency"),
            ("date_closed", _D, True, "expected close date while open, actual once closed"),
            ("sales_stage", _T, True, "current stage (see the stage map)"),
            ("probability", _INT, False, "0-100"),
            ("commit_stage", _T, False, "forecast category: include, upside, exclude"),
        ),
    ),
    FileKind(
        "opportunities_audit", CRM, False, "the opportunity change log (SugarCRM's audit table)", ("id",),
        _cols(
            ("id", _T, True, "audit row key"),
            ("parent_id", _T, True, "opportunities.id"),
            ("date_created", _TS, True, "when the change was made"),
            ("created_by", _T, False, "users.id of who made it"),
            ("field_name", _T, True, "sales_stage, amount, date_closed, commit_stage, assigned_user_id, probability"),
            ("before_value_string", _T, True, "old value"),
            ("after_value_string", _T, True, "new value"),
        ),
    ),
    FileKind(
        "opportunity_history", CRM, False,
        "the opportunity state history: each row the values in force from changed_at on "
        "(Salesforce OpportunityHistory, or derived by a mapping from dated columns)",
        ("id",),
        _cols(
            ("id", _T, True, "history row key"),
            ("opportunity_id", _T, True, "opportunities.id"),
            ("changed_at", _TS, True, "from when these values were in force"),
            ("created_by", _T, False, "users.id of who made the change"),
            ("sales_stage", _T, False, "the stage from then on; empty = not recorded"),
            ("amount", _DEC, False, "the amount from then on, in the opportunity's currency; empty = not recorded"),
            ("date_closed", _D, False, "the expected close date from then on; empty = not recorded"),
            ("commit_stage", _T, False, "the forecast category from then on; empty = not recorded"),
            ("probability", _INT, False, "0-100 from then on; empty = not recorded"),
        ),
    ),
    FileKind(
        "accounts", CRM, False, "one row per company", ("id",),
        _cols(
            ("id", _T, True, "account key"),
            ("name", _T, True, "company name"),
            ("date_entered", _TS, True, "created in the CRM"),
            ("date_modified", _TS, True, "version of the record"),
            ("deleted", _B, False, "1 = deleted"),
            ("account_type", _T, False, "Customer, Prospect, Partner, ..."),
            ("industry", _T, False, "industry"),
            ("annual_revenue", _T, False, "annual revenue as typed in the CRM (free text there)"),
            ("employees", _T, False, "head count as typed in the CRM (free text there)"),
            ("billing_address_country", _T, False, "country"),
            ("assigned_user_id", _T, False, "account owner"),
        ),
    ),
    FileKind(
        "users", CRM, True, "one row per CRM user", ("id",),
        _cols(
            ("id", _T, True, "user key"),
            ("user_name", _T, True, "login name"),
            ("first_name", _T, False, "first name"),
            ("last_name", _T, False, "last name"),
            ("title", _T, False, "job title"),
            ("department", _T, False, "department"),
            ("reports_to_id", _T, False, "the manager's users.id: the management chain, any depth"),
            ("status", _T, False, "Active, Inactive"),
            ("date_modified", _TS, False, "version of the record"),
        ),
    ),
    FileKind(
        "calls", CRM, False, "logged calls", ("id",),
        _cols(
            ("id", _T, True, "call key"),
            ("date_start", _TS, True, "when the call started"),
            ("parent_type", _T, True, "Leads, Opportunities, Accounts, Contacts"),
            ("parent_id", _T, True, "the record the call is about"),
            ("status", _T, True, "Held, Planned, Not Held"),
            ("assigned_user_id", _T, False, "who made it"),
            ("direction", _T, False, "Inbound, Outbound"),
            ("deleted", _B, False, "1 = deleted"),
            ("date_modified", _TS, False, "version of the record"),
        ),
    ),
    FileKind(
        "meetings", CRM, False, "logged meetings", ("id",),
        _cols(
            ("id", _T, True, "meeting key"),
            ("date_start", _TS, True, "when the meeting started"),
            ("parent_type", _T, True, "Leads, Opportunities, Accounts, Contacts"),
            ("parent_id", _T, True, "the record the meeting is about"),
            ("status", _T, True, "Held, Planned, Not Held"),
            ("assigned_user_id", _T, False, "who held it"),
            ("direction", _T, False, "Inbound, Outbound"),
            ("deleted", _B, False, "1 = deleted"),
            ("date_modified", _TS, False, "version of the record"),
        ),
    ),
    FileKind(
        "campaigns", MARKETING, False, "one row per marketing campaign", ("id",),
        _cols(
            ("id", _T, True, "campaign key"),
            ("name", _T, True, "campaign name"),
            ("campaign_type", _T, False, "Email, Web, Telesales, Event, Paid Search, Social, ... (the channel)"),
            ("status", _T, False, "Planning, Active, Inactive, Complete"),
            ("start_date", _D, False, "first day"),
            ("end_date", _D, False, "last day"),
            ("budget", _DEC, False, "planned cost, in currency_id"),
            ("actual_cost", _DEC, False, "cost so far, in currency_id"),
            ("currency_id", _T, False, "ISO 4217 code; empty = the reporting currency"),
            ("date_modified", _TS, False, "version of the record"),
        ),
    ),
    FileKind(
        "campaign_log", MARKETING, False, "campaign touches (SugarCRM's campaign log)", ("id",),
        _cols(
            ("id", _T, True, "touch key"),
            ("campaign_id", _T, True, "campaigns.id"),
            ("target_type", _T, True, "Leads, Contacts, Prospects"),
            ("target_id", _T, True, "the record touched"),
            ("activity_type", _T, True, "targeted, viewed, link, lead, contact, removed, blocked, send_error, invalid_email"),
            ("activity_date", _TS, True, "when it happened"),
            ("related_type", _T, False, "type of a related record"),
            ("related_id", _T, False, "a related record"),
        ),
    ),
    FileKind(
        "mql_events", MARKETING, False, "MQL events from the marketing-automation tool",
        ("lead_id", "event_type", "event_at"),
        _cols(
            ("lead_id", _T, True, "leads.id"),
            ("event_type", _T, True, "mql, recycled, disqualified"),
            ("event_at", _TS, True, "when it happened"),
            ("score", _DEC, False, "lead score at the event"),
            ("campaign_id", _T, False, "the campaign credited by the marketing tool"),
        ),
    ),
    FileKind(
        "marketing_spend", MARKETING, False, "marketing spend per period",
        ("date", "campaign_id", "channel", "currency_id"),
        _cols(
            ("date", _D, True, "the first day of the period it covers"),
            ("spend", _DEC, True, "amount spent, in currency_id"),
            ("campaign_id", _T, False, "campaigns.id"),
            ("channel", _T, False, "channel when not per campaign"),
            ("currency_id", _T, False, "ISO 4217 code; empty = the reporting currency"),
        ),
    ),
    FileKind(
        "currency_rates", REFERENCE, False, "currency conversion rates", ("currency_id", "date"),
        _cols(
            ("currency_id", _T, True, "ISO 4217 code"),
            ("date", _D, True, "valid from this date"),
            ("rate", _DEC, True, "units of the reporting currency per unit of currency_id"),
        ),
    ),
    FileKind(
        "targets", REFERENCE, False, "sales targets (quota) per user and fiscal period", ("user_id", "fiscal_period"),
        _cols(
            ("user_id", _T, True, "users.id"),
            ("fiscal_period", _T, True, "for example FY2026-Q3"),
            ("amount", _DEC, True, "quota in the reporting currency"),
        ),
    ),
)

KINDS: dict[str, FileKind] = {k.name: k for k in FILE_KINDS}

# File name suffixes a drop may use for a kind, in the order they are looked for.
FILE_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")


# The vocabularies: files a user edits beside the config (a preset ships its own), loaded
# into vocabulary.<name> on every run.  A value the data uses that its vocabulary lacks
# stops the run before anything is published (ingest/vocabularies.py).
@dataclass(frozen=True)
class Vocabulary:
    name: str
    description: str
    key: str  # the column holding the CRM's value
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


MILESTONES: tuple[str, ...] = ("srl", "sql", "later", "won", "lost")
FORECAST_CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted", "closed")
MOTIONS: tuple[str, ...] = ("hunting", "farming")

VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary(
        "stage_map",
        "one row per CRM sales stage (spelling): its order in the pipeline and the funnel milestone it stands for",
        "crm_stage",
        _cols(
            ("crm_stage", _T, True, "the sales stage exactly as the CRM exports it (trimmed)"),
            ("stage_order", _INT, True, "position in the pipeline, 1 = first stage; spellings of one stage share it"),
            ("milestone", _T, True, "srl (unqualified pipeline), sql (qualified pipeline), later, won or lost"),
            ("is_closed", _B, True, "the deal is closed (won or lost) in this stage"),
            ("is_won", _B, True, "the deal is won in this stage"),
        ),
    ),
    Vocabulary(
        "forecast_category_map",
        "one row per CRM forecast category value: the roll-up category it stands for",
        "crm_value",
        _cols(
            ("crm_value", _T, True, "the CRM's forecast value, matched case-insensitively"),
            ("forecast_category", _T, True, "commit, best_case, pipeline, omitted or closed"),
            ("forecast_category_label", _T, True, "how reports name the category"),
        ),
    ),
    Vocabulary(
        "opportunity_type_map",
        "one row per CRM opportunity type: the sales motion it stands for",
        "opportunity_type",
        _cols(
            ("opportunity_type", _T, True, "the opportunity type exactly as the CRM exports it (trimmed)"),
            ("motion", _T, True, "hunting (new logo) or farming (existing customer)"),
        ),
    ),
)

VOCABULARY_BY_NAME: dict[str, Vocabulary] = {v.name: v for v in VOCABULARIES}


def raw_table(kind: str) -> str:
    return f"raw.{kind}"


# --------------------------------------------------------------------------- rendering
# The dbt sources and the docs table are rendered from the contract so they cannot drift.


def _source_table(schema: str, name: str, description: str, columns: list[tuple[str, str | None, str]]) -> list[str]:
    """One dbt source table whose Dagster asset key is <schema>/<name>: (column, description, type)."""
    lines = [
        f"      - name: {name}",
        f"        description: \"{description}\"",
        "        meta:",
        "          dagster:",
        f"            asset_key: [\"{schema}\", \"{name}\"]",
        "        columns:",
    ]
    for column, desc, dtype in columns:
        lines.append(f"          - name: {column}")
        if desc is not None:
            lines.append(f"            description: \"{desc}\"")
        lines.append(f"            data_type: {dtype.lower()}")
    return lines


def render_dbt_sources() -> str:
    """The dbt sources YAML for every raw table and vocabulary, with Dagster asset keys raw/<kind>, vocabulary/<name>."""
    lines = [
        "# Rendered from ingest/contract.py by `funnelcast contract --write`; do not edit by hand.",
        "version: 2",
        "",
        "sources:",
        "  - name: raw",
        "    schema: raw",
        "    description: Every version of every exported row, as loaded by the raw/<kind> Dagster assets.",
        "    tables:",
    ]
    for kind in FILE_KINDS:
        columns = [
            (c.name, f"{c.description.replace(chr(34), chr(39))} ({c.type}{', required' if c.required else ''})",
             c.duckdb_type)
            for c in kind.columns
        ] + [(name, None, dtype) for name, dtype in LINEAGE_COLUMNS.items()]
        lines += _source_table("raw", kind.name,
                               f"{kind.description} ({'required' if kind.required else 'optional'} file)", columns)
    lines += [
        "  - name: vocabulary",
        "    schema: vocabulary",
        "    description: The vocabularies in force (stage map, forecast categories, opportunity types), loaded from the user's files by the vocabulary/<name> Dagster assets.",
        "    tables:",
    ]
    for vocab in VOCABULARIES:
        lines += _source_table("vocabulary", vocab.name, vocab.description,
                               [(c.name, c.description, c.duckdb_type) for c in vocab.columns])
    return "\n".join(lines) + "\n"


def render_docs_tables() -> str:
    """One markdown table per file kind, for docs/exports.md."""
    out: list[str] = []
    for kind in FILE_KINDS:
        key = ", ".join(kind.key)
        out.append(f"### {kind.name} ({'required' if kind.required else 'optional'} file)")
        out.append("")
        out.append(f"{kind.description[0].upper()}{kind.description[1:]}. Record key: `{key}`. "
                   + (f"Versions ordered by `{kind.version_column}`." if kind.version_column
                      else "No version column: the latest drop wins."))
        out.append("")
        out.append("| column | type | required | meaning |")
        out.append("|---|---|---|---|")
        for col in kind.columns:
            out.append(f"| {col.name} | {col.type} | {'yes' if col.required else 'no'} | {col.description} |")
        out.append("")
    return "\n".join(out)
