"""A deterministic generator of realistic sample export drops.

``generate(out, scale, seed, weeks)`` writes ``<out>/<drop>/<kind>.csv`` for every file kind
of the export contract (ingest/contract.py): the first drop is a FULL export of everything
that exists at its date, each later weekly drop a DELTA (the records created or changed
that week, the week's new audit, activity, campaign-log, MQL, spend, rate and target rows,
and a few deletions).  Drops are named after their Monday export date, ``YYYY-MM-DD``.

The company it simulates sells software to businesses, with two motions (docs/domain.md):

* hunting: marketing campaigns touch prospects, who become MQLs (an ``mql`` event and a
  lead); an SDR works the lead with calls and meetings; 20-40% of the leads convert into a
  ``New Business`` opportunity in Prospecting (SRL), owned by an account executive, and a
  new Prospect account that becomes a Customer when the deal is won;
* farming: customers (an installed base plus every new logo won) get ``Existing Business``
  opportunities with no lead (a few with a lead from the customer), won about 75% of the
  time against about 30% for new business.

Opportunities move through SugarCRM's standard stages with skipped stages, regressions,
reopened deals, close dates that slip or get pushed out of the quarter, amount changes,
a forecast category (commit_stage) that matures over the quarter and owner hand-overs;
every change of an audited field is an ``opportunities_audit`` row, so replaying the audit
from an opportunity's creation values gives its current row.

Time.  The data ends at a fixed "as of" Monday, ``AS_OF`` = 2026-11-23 (never today's
date: the output must not depend on when it runs).  The last drop is dated ``AS_OF``; the
first (full) drop is ``weeks`` weeks earlier, and the history starts ``pre_weeks`` weeks
before the first drop.  A drop dated D holds what happened before D 00:00 UTC (the full
drop: everything before it; a delta: the 7 days before it).  No change on or after AS_OF
is written (dates planned for later may be: expected close dates, planned meetings,
campaign end dates).

Scale defaults (``SCALES``; row counts for seed 42, over all files and drops):

======  =========  =====  =====  ========================  =======  =============  ==========
scale   pre_weeks  weeks  drops  history                   leads    opportunities  rows
======  =========  =====  =====  ========================  =======  =============  ==========
small   40         12     13     2025-11-24 .. 2026-11-23  ~210     ~110           ~4,500
medium  52         26     27     2025-05-26 .. 2026-11-23  ~11,000  ~6,000         ~270,000
large   104        52     53     2023-11-27 .. 2026-11-23  ~340,000 ~200,000       ~10,200,000
======  =========  =====  =====  ========================  =======  =============  ==========

On one core: small 0.2 s, medium 3 s, large about 100 s (1.7 GB of CSV); peak memory
under 100 MB at every scale.

Determinism.  Everything is drawn from one ``random.Random(seed)`` in a fixed order and
nothing depends on the clock, hash seeds or dict ordering beyond insertion order: the same
(scale, seed, weeks) gives byte-identical files.

Memory.  The company is simulated one story at a time (a new lead and everything that
follows from it, or one installed-base customer): a story's whole future is decided when it
starts, its rows go to the drop of the week they happen in, and a record (lead,
opportunity, account, ...) writes only its last version of each drop.  Rows are buffered
per (drop, kind) and appended to the CSV files every ``FLUSH_ROWS`` rows, so memory does
not grow with the scale.
"""

from __future__ import annotations

import csv
import math
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Callable

from ingest.contract import FILE_KINDS as CONTRACT_KINDS, KINDS

# The generator writes a SugarCRM export: its stage history is the audit log, so the
# state-history kind (other CRMs' shape) is not among its files.
FILE_KINDS = tuple(k for k in CONTRACT_KINDS if k.name != "opportunity_history")

# --------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class Scale:
    """How big a simulated company and history are."""

    pre_weeks: int  # weeks of history before the first (full) drop
    weeks: int  # weekly delta drops after the first drop
    leads_per_week: float  # new MQLs per week at the start of the history (grows 25%/year)
    directors: int  # sales directors under the VP
    managers_per_director: int
    reps_per_manager: tuple[int, int]  # account executives per manager (min, max)
    sdr_teams: int  # SDR managers reporting to the VP
    sdrs_per_team: int
    campaigns: int  # campaigns in all, 4 of them always on
    installed_customers: int  # customer accounts that exist before the history starts
    touches_per_lead: float  # campaign-log touches per lead, besides the conversion touch
    account_call_days: float  # mean days between check-in calls with a customer


SCALES: dict[str, Scale] = {
    # for tests: a year of a small sales team
    "small": Scale(40, 12, 3.5, 2, 2, (3, 4), 1, 3, 12, 20, 1.5, 120.0),
    # a mid-size company over 18 months
    "medium": Scale(52, 26, 120.0, 3, 3, (4, 6), 2, 6, 20, 700, 5.0, 60.0),
    # a volume test: three years of a large sales organisation
    "large": Scale(104, 52, 1500.0, 5, 4, (5, 8), 6, 8, 30, 9000, 8.0, 45.0),
}

AS_OF = date(2026, 11, 23)  # a Monday: the last drop, where the data ends
REPORTING_CURRENCY = "USD"
FLUSH_ROWS = 200_000  # rows buffered in memory before they are appended to the files
DAY = 86_400
WEEK = 7 * DAY
EPOCH = date(1970, 1, 1)

# --------------------------------------------------------------------------- vocabularies

# SugarCRM's standard sales stages and their default probabilities.
STAGES: tuple[tuple[str, int], ...] = (
    ("Prospecting", 10),
    ("Qualification", 20),
    ("Needs Analysis", 25),
    ("Value Proposition", 30),
    ("Id. Decision Makers", 40),
    ("Perception Analysis", 50),
    ("Proposal/Price Quote", 65),
    ("Negotiation/Review", 80),
    ("Closed Won", 100),
    ("Closed Lost", 0),
)
LAST_OPEN, WON, LOST = 7, 8, 9
# Mean days an opportunity of the new-business motion spends in each open stage.
STAGE_DAYS = (10.0, 9.0, 10.0, 8.0, 7.0, 7.0, 10.0, 9.0)


@dataclass(frozen=True)
class Motion:
    opportunity_type: str
    sql_rate: float  # share of opportunities that reach Qualification or beyond
    win_rate: float  # share of qualified opportunities won (the rep's skill scales it)
    median_usd: float  # median deal size
    cycle_days: float  # expected days from creation to close, for the first close date
    pace: float  # multiplies STAGE_DAYS
    products: tuple[str, ...]


NEW_BUSINESS = Motion("New Business", 0.85, 0.30, 25_000, 90, 1.0,
                      ("Platform - Annual", "Platform - 3 Year", "Starter Package", "Enterprise Suite"))
EXISTING_BUSINESS = Motion("Existing Business", 0.93, 0.75, 12_000, 50, 0.55,
                           ("Seat Expansion", "Renewal", "Add-on: Forecasting", "Add-on: Analytics",
                            "Professional Services", "Premium Support Upgrade"))


@dataclass(frozen=True)
class Country:
    name: str
    currency: str
    weight: float
    legal: str
    phone: str  # a format, {} filled with random digits


COUNTRIES: tuple[Country, ...] = (
    Country("United States", "USD", 52, "Inc.", "+1 {3} 555 01{2}"),
    Country("Canada", "USD", 5, "Ltd.", "+1 {3} 555 01{2}"),
    Country("United Kingdom", "GBP", 12, "Ltd", "+44 20 7946 0{3}"),
    Country("Germany", "EUR", 10, "GmbH", "+49 30 {4} {4}"),
    Country("France", "EUR", 6, "SA", "+33 1 {2} {2} {2} {2}"),
    Country("Netherlands", "EUR", 4, "B.V.", "+31 20 {3} {4}"),
    Country("Australia", "USD", 5, "Pty Ltd", "+61 2 {4} {4}"),
    Country("Japan", "JPY", 4, "K.K.", "+81 3 {4} {4}"),
    Country("Brazil", "USD", 2, "Ltda.", "+55 11 {4} {4}"),
)
_COUNTRY_WEIGHTS = [c.weight for c in COUNTRIES]
# USD per unit at the start of the history; each moves by a weekly random walk.
START_RATES = {"EUR": 1.085, "GBP": 1.265, "JPY": 0.00672}

LEAD_SOURCE_BY_CAMPAIGN_TYPE = {
    "Web": "Web Site", "Email": "Email", "NewsLetter": "Email", "Event": "Trade Show",
    "Telesales": "Cold Call", "Paid Search": "Campaign", "Social": "Campaign",
}
# Leads that no campaign sourced, by lead_source: (source, weight).
UNSOURCED = (("Web Site", 10), ("Cold Call", 8), ("Partner", 8), ("Other", 4), ("Email", 3))
CAMPAIGN_SHARE = 0.67  # share of hunting leads sourced by a campaign

INDUSTRIES = ("Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
              "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment",
              "Finance", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
              "Manufacturing", "Media", "Not For Profit", "Retail", "Shipping", "Technology",
              "Telecommunications", "Transportation", "Utilities", "Other")
EMPLOYEE_BANDS = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5000+")

FIRST_NAMES = ("Ada", "Aiden", "Amara", "Andre", "Anika", "Arjun", "Astrid", "Beatriz", "Bruno",
               "Camille", "Carlos", "Chen", "Chloe", "Dalia", "Daniel", "Dmitri", "Elena", "Elif",
               "Emeka", "Emma", "Felix", "Fatima", "Freya", "Gabriel", "Grace", "Hana", "Hugo",
               "Imani", "Ines", "Isaac", "Jonas", "Julia", "Kai", "Kenji", "Lara", "Leon", "Liam",
               "Lina", "Lucas", "Maya", "Mateo", "Mei", "Mila", "Nadia", "Noah", "Nora", "Olga",
               "Omar", "Priya", "Rafael", "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Theo", "Uma",
               "Valentin", "Vera", "Wei", "Yara", "Yusuf", "Zoe", "Marcus", "Helena", "Owen")
LAST_NAMES = ("Abara", "Alvarez", "Andersen", "Bakker", "Barros", "Becker", "Bianchi", "Brennan",
              "Castillo", "Chowdhury", "Costa", "Dubois", "Eriksen", "Farouk", "Fischer", "Fontaine",
              "Garcia", "Gupta", "Hartmann", "Holm", "Ibarra", "Ito", "Jansen", "Kaplan", "Keller",
              "Kowalski", "Larsen", "Lindqvist", "Lopez", "Maddox", "Marino", "Moreau", "Mueller",
              "Nakamura", "Novak", "Okafor", "Olsen", "Park", "Petrov", "Quinn", "Rahman", "Reyes",
              "Rossi", "Sato", "Schmidt", "Silva", "Sorensen", "Tanaka", "Thornton", "Urban",
              "Varga", "Vogel", "Walsh", "Weber", "Whitfield", "Yilmaz", "Zhang", "Ziegler")
COMPANY_PREFIXES = ("Blue", "North", "Silver", "Bright", "Iron", "Red", "Summit", "Harbor", "Pine",
                    "Granite", "Atlas", "Nova", "Vertex", "Cedar", "Falcon", "Orbit", "Pioneer",
                    "Quantum", "Crest", "Maple", "Copper", "Evergreen", "Lumen", "Solar", "Polar",
                    "Coral", "Delta", "Echo", "Juniper", "Meridian", "Oak", "Prism", "Sterling",
                    "Terra", "Union", "Willow", "Zenith", "Amber", "Cobalt", "Hudson")
COMPANY_ROOTS = ("wave", "field", "stone", "bridge", "point", "gate", "line", "works", "path",
                 "core", "peak", "ridge", "light", "dale", "brook", "forge", "view", "mark",
                 "haven", "stream", "wind", "bay", "port", "spring")
COMPANY_TRADES = ("Analytics", "Logistics", "Foods", "Health", "Systems", "Labs", "Energy",
                  "Partners", "Manufacturing", "Media", "Financial", "Retail", "Robotics",
                  "Software", "Consulting", "Group", "Industries", "Technologies", "Biotech",
                  "Motors", "Insurance", "Telecom", "Education", "Hospitality")

TOPICS = ("Pipeline Analytics", "Forecast Accuracy", "Revenue Operations", "Sales Productivity",
          "Customer Retention", "Data Quality", "AI Assistants", "Partner Selling")
EVENTS = ("SaaStr Europa", "Dreamforce", "RevOps Summit", "Web Summit", "B2B Marketing Expo",
          "Gartner CRM Summit", "Sales Leaders Forum", "CRM Expo")
# Campaign types of time-boxed campaigns: (type, weight for being picked, lead weight,
# weeks (min, max), weekly spend in USD for 4 leads a week).
CAMPAIGN_KINDS = (
    ("Web", 3, 2.0, (3, 8), 700.0),
    ("Email", 3, 1.5, (4, 10), 250.0),
    ("Event", 2, 3.0, (2, 4), 4000.0),
    ("Paid Search", 2, 2.0, (6, 14), 1500.0),
    ("Social", 1, 1.0, (4, 12), 800.0),
    ("Telesales", 1, 1.5, (3, 6), 1200.0),
)
# Always-on campaigns: (name, type, lead weight, weekly spend in USD for 4 leads a week).
EVERGREEN = (
    ("Website - Inbound Forms", "Web", 4.0, 300.0),
    ("Google Ads - Brand", "Paid Search", 2.0, 900.0),
    ("Monthly Newsletter", "NewsLetter", 1.0, 120.0),
    ("LinkedIn - Always On", "Social", 1.0, 500.0),
)
# Spend booked per channel with no campaign: (channel, currency, monthly USD for 4 leads a week).
CHANNEL_SPEND = (("Content", "USD", 1500.0), ("SEO", "USD", 1000.0), ("Event", "EUR", 800.0))


# --------------------------------------------------------------------------- time


@lru_cache(maxsize=None)
def fmt_day(day: int) -> str:
    """A day number (days since 1970-01-01) as YYYY-MM-DD."""
    return (EPOCH + timedelta(days=day)).isoformat()


def fmt_ts(ts: int) -> str:
    """Seconds since 1970-01-01 UTC as YYYY-MM-DD HH:MM:SS."""
    day, sec = divmod(ts, DAY)
    hour, sec = divmod(sec, 3600)
    minute, sec = divmod(sec, 60)
    return f"{fmt_day(day)} {hour:02d}:{minute:02d}:{sec:02d}"


def day_number(d: date) -> int:
    return (d - EPOCH).days


def weekday(day: int) -> int:
    """0 = Monday; 1970-01-01 was a Thursday."""
    return (day + 3) % 7


@lru_cache(maxsize=None)
def quarter_of(day: int) -> tuple[int, int]:
    d = EPOCH + timedelta(days=day)
    return d.year, (d.month - 1) // 3 + 1


@lru_cache(maxsize=None)
def quarter_bounds(year: int, quarter: int) -> tuple[int, int]:
    """First and last day of a calendar quarter (the fiscal year starts in January)."""
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return day_number(first), day_number(nxt) - 1


def fiscal_period(year: int, quarter: int) -> str:
    return f"FY{year}-Q{quarter}"


def month_end(day: int) -> int:
    d = EPOCH + timedelta(days=day)
    nxt = date(d.year + (d.month == 12), 1 if d.month == 12 else d.month + 1, 1)
    return day_number(nxt) - 1


def fmt_money(x: float) -> str:
    return f"{x:.2f}"


@dataclass(frozen=True)
class Clock:
    """Where the history starts, where the drops fall and where the data ends."""

    start: int  # history start, seconds (a Monday 00:00 UTC)
    first_drop: int  # the full drop's date, seconds
    end: int  # AS_OF, seconds: nothing happens on or after it
    weeks: int  # weekly delta drops

    @classmethod
    def for_scale(cls, spec: Scale, weeks: int) -> Clock:
        end = day_number(AS_OF) * DAY
        first = end - weeks * WEEK
        return cls(first - spec.pre_weeks * WEEK, first, end, weeks)

    @property
    def drop_names(self) -> list[str]:
        return [fmt_day((self.first_drop + k * WEEK) // DAY) for k in range(self.weeks + 1)]

    @property
    def history_weeks(self) -> int:
        return (self.end - self.start) // WEEK

    def drop_of(self, ts: int) -> int | None:
        """The drop a change at `ts` is exported in: 0 = the full drop; None = after AS_OF."""
        if ts < self.first_drop:
            return 0
        if ts >= self.end:
            return None
        return (ts - self.first_drop) // WEEK + 1


# --------------------------------------------------------------------------- output


@dataclass
class GenerateSummary:
    out: Path
    scale: str
    seed: int
    drops: list[str]
    rows_per_kind: dict[str, int]
    total_rows: int
    rows_per_drop: dict[str, int] = field(default_factory=dict)


class DropWriter:
    """Appends rows to <out>/<drop>/<kind>.csv, buffering FLUSH_ROWS rows in memory.

    A file is created (with its header) on its first flush, so a delta drop holds only
    the kinds that changed that week; ``close`` adds header-only files to the first drop
    for kinds that had no rows, so the full export always has every file kind.
    """

    def __init__(self, out: Path, drops: list[str], flush_rows: int = FLUSH_ROWS) -> None:
        self.out = out
        self.drops = drops
        self.flush_rows = flush_rows
        self.rows_per_kind = {k.name: 0 for k in FILE_KINDS}
        self.rows_per_drop = {d: 0 for d in drops}
        self._buffers: dict[tuple[int, str], list[tuple]] = {}
        self._pending = 0
        self._started: set[tuple[int, str]] = set()

    def add(self, drop: int | None, kind: str, row: tuple) -> None:
        if drop is None:  # after AS_OF: not exported yet
            return
        buf = self._buffers.get((drop, kind))
        if buf is None:
            buf = self._buffers[(drop, kind)] = []
        buf.append(row)
        self._pending += 1
        if self._pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        for (drop, kind), rows in sorted(self._buffers.items()):
            self._write((drop, kind), rows)
            self.rows_per_kind[kind] += len(rows)
            self.rows_per_drop[self.drops[drop]] += len(rows)
        self._buffers.clear()
        self._pending = 0

    def close(self) -> None:
        self.flush()
        for kind in FILE_KINDS:
            if (0, kind.name) not in self._started:
                self._write((0, kind.name), [])

    def _write(self, key: tuple[int, str], rows: list[tuple]) -> None:
        drop, kind = key
        folder = self.out / self.drops[drop]
        first = key not in self._started
        if first:
            folder.mkdir(parents=True, exist_ok=True)
            self._started.add(key)
        with open(folder / f"{kind}.csv", "w" if first else "a", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            if first:
                writer.writerow(KINDS[kind].column_names)
            writer.writerows(rows)


COLUMNS: dict[str, tuple[str, ...]] = {k.name: tuple(k.column_names) for k in FILE_KINDS}


class Record:
    """One CRM record and its changes; writes its last version of each drop.

    Changes may be added out of time order (an account is made a Customer by a deal won
    later in the story than an owner hand-over added earlier); ``emit`` sorts them.
    """

    __slots__ = ("kind", "initial", "changes")

    def __init__(self, kind: str, ts: int, fields: dict) -> None:
        self.kind = kind
        self.initial = fields
        self.changes: list[tuple[int, dict]] = [(ts, {})]

    @property
    def id(self) -> str:
        return self.initial["id"]

    def change(self, ts: int, **fields) -> None:
        self.changes.append((ts, fields))

    @property
    def last_ts(self) -> int:
        return max(ts for ts, _ in self.changes)

    def emit(self, sim: Sim) -> None:
        cols = COLUMNS[self.kind]
        versioned = "date_modified" in cols
        row = dict.fromkeys(cols)
        row.update(self.initial)
        last: dict[int, tuple] = {}
        for ts, fields in sorted(self.changes, key=lambda c: c[0]):
            drop = sim.clock.drop_of(ts)
            if drop is None:
                break
            row.update(fields)
            if versioned:
                row["date_modified"] = fmt_ts(ts)
            last[drop] = tuple(row[c] for c in cols)
        for drop, values in last.items():
            sim.writer.add(drop, self.kind, values)


# --------------------------------------------------------------------------- the company


@dataclass
class User:
    id: str
    user_name: str
    first_name: str
    last_name: str
    title: str
    department: str
    role: str  # vp, director, manager, rep, sdr_manager, sdr, marketing, admin
    manager: User | None = None
    hired: int = 0  # seconds; before the history for the original team
    departs: int | None = None  # seconds: goes Inactive
    successor: User | None = None  # who takes over the book of business
    skill: float = 1.0  # scales the rep's win rate

    def active(self, ts: int) -> bool:
        return self.hired <= ts and (self.departs is None or ts < self.departs)

    @property
    def handover(self) -> int | None:
        """When open deals and accounts move to the successor: the successor's first day."""
        return self.successor.hired + 4 * 3600 if self.successor else None


@dataclass
class Company:
    name: str
    slug: str
    country: Country
    industry: str
    employees: str
    annual_revenue: str


@dataclass
class Campaign:
    id: str
    name: str
    type: str
    currency: str
    start_day: int
    end_day: int  # last day
    lead_weight: float
    weekly_spend: float
    evergreen: bool


class Sim:
    """The generator's state: random source, clock, writer, and the shared reference data."""

    def __init__(self, spec: Scale, clock: Clock, writer: DropWriter, rng: random.Random) -> None:
        self.spec = spec
        self.clock = clock
        self.writer = writer
        self.rng = rng
        self.end = clock.end
        # Marketing money scales with the leads it buys: the spend figures above are for
        # 4 new leads a week (some $300-400 per MQL).
        self.money_scale = spec.leads_per_week / 4.0
        self.users: list[User] = []
        self.reps_by_week: list[list[User]] = []
        self.sdrs_by_week: list[list[User]] = []
        self.campaigns: list[Campaign] = []
        self.campaigns_by_week: list[list[Campaign]] = []
        self.nurture_by_week: list[list[Campaign]] = []
        self.rates: dict[str, list[float]] = {}
        # Duplicates to make (then delete) at the next lead / opportunity created: a
        # weekly quota rather than a per-record chance, so every delta has a few deletions.
        self.pending_lead_duplicates = 0
        self.pending_opportunity_duplicates = 0
        self.counters: dict[str, int] = {}

    # ---- randomness helpers

    def new_id(self) -> str:
        h = "%032x" % self.rng.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    def business(self, ts: int) -> int:
        """`ts` if it falls in working hours (Mon-Fri 07:00-19:00 UTC), else the next morning."""
        day, sec = divmod(ts, DAY)
        wd = weekday(day)
        if wd < 5 and 7 * 3600 <= sec < 19 * 3600:
            return ts
        if sec >= 19 * 3600 or wd >= 5:
            day += 1
        while weekday(day) >= 5:
            day += 1
        return day * DAY + 7 * 3600 + self.rng.randrange(3 * 3600)

    def after_hours(self, ts: int, hours: float) -> int:
        """A working-hours time about `hours` after `ts`."""
        return self.business(ts + int(hours * 3600) + self.rng.randrange(600))

    def after_days(self, ts: int, days: float) -> int:
        return self.business(ts + int(days * DAY) + self.rng.randrange(-3 * 3600, 3 * 3600))

    def work_time(self, day: int) -> int:
        """A random working-hours time on `day` (or the next working day)."""
        return self.business(day * DAY + 8 * 3600 + self.rng.randrange(10 * 3600))

    def week_index(self, ts: int) -> int:
        return min(max((ts - self.clock.start) // WEEK, 0), self.clock.history_weeks - 1)

    def pick_rep(self, ts: int) -> User:
        return self.rng.choice(self.reps_by_week[self.week_index(ts)])

    def pick_sdr(self, ts: int) -> User:
        return self.rng.choice(self.sdrs_by_week[self.week_index(ts)])

    def rate(self, currency: str, ts: int) -> float:
        """USD per unit of `currency` at `ts`."""
        if currency == REPORTING_CURRENCY:
            return 1.0
        return self.rates[currency][self.week_index(ts)]

    def one_in(self, what: str, n: int) -> bool:
        """True for exactly one call in `n` per `what`.  Used for rare stories that every
        data set must have, even a small one, where a 1-in-n chance could come out 0."""
        count = self.counters[what] = self.counters.get(what, 0) + 1
        return count % n == n // 2

    def event(self, kind: str, ts: int, row: tuple) -> None:
        """An append-only row (audit, touch, MQL event, spend, ...) in the drop of `ts`."""
        self.writer.add(self.clock.drop_of(ts), kind, row)

    # ---- people and companies

    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def company(self) -> Company:
        rng = self.rng
        country = rng.choices(COUNTRIES, _COUNTRY_WEIGHTS)[0]
        stem = rng.choice(COMPANY_PREFIXES) + rng.choice(COMPANY_ROOTS)
        trade = rng.choice(COMPANY_TRADES)
        band = rng.choices(EMPLOYEE_BANDS, (10, 25, 30, 15, 10, 7, 3))[0]
        revenue_m = {"1-10": 1, "11-50": 5, "51-200": 20, "201-500": 60, "501-1000": 150,
                     "1001-5000": 600, "5000+": 3000}[band] * rng.uniform(0.5, 2.0)
        # As typed in a CRM: free text in a few styles.
        revenue = rng.choice((f"${revenue_m:,.0f}M", f"{revenue_m * 1e6:,.0f}", f"{revenue_m:.1f} million", ""))
        employees = band if rng.random() < 0.6 else str(rng.randint(*_band_range(band)))
        return Company(f"{stem} {trade} {country.legal}", f"{stem}{trade}".lower(), country,
                       rng.choice(INDUSTRIES), employees, revenue)

    def phone(self, country: Country) -> str:
        """A number in the country's format; a group of digits never starts with 0 or 1."""
        def digits(m: re.Match) -> str:
            n = int(m.group(1))
            return str(self.rng.randint(2, 9)) + "".join(str(self.rng.randrange(10)) for _ in range(n - 1))

        return re.sub(r"\{(\d)\}", digits, country.phone)


def _band_range(band: str) -> tuple[int, int]:
    if band == "5000+":
        return 5000, 40000
    lo, hi = band.split("-")
    return int(lo), int(hi)


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


# --------------------------------------------------------------------------- reference data


def build_org(sim: Sim) -> None:
    """Users: VP of Sales -> directors -> managers -> account executives, an SDR team per
    SDR manager (reporting to the VP), marketing and the admin; two reps leave (Inactive)
    and a replacement, hired a week later, takes over their deals and accounts."""
    spec, rng, clock = sim.spec, sim.rng, sim.clock
    before = clock.start - 30 * DAY  # when the original team was set up in the CRM
    taken: set[str] = set()

    def user(role: str, title: str, department: str, manager: User | None, hired: int = 0) -> User:
        while True:
            first, last = sim.person()
            name = f"{first[0]}{last}".lower()
            if name not in taken:
                break
        taken.add(name)
        u = User(sim.new_id(), name, first, last, title, department, role, manager, hired)
        sim.users.append(u)
        return u

    admin = user("admin", "Administrator", "IT", None)
    admin.id, admin.user_name, admin.first_name, admin.last_name = "1", "admin", "", "Administrator"
    vp = user("vp", "VP of Sales", "Sales", None)
    regions = ("North America", "EMEA", "APAC", "LATAM", "Strategic Accounts", "Mid-Market")
    reps: list[User] = []
    for d in range(spec.directors):
        director = user("director", f"Director of Sales, {regions[d % len(regions)]}", "Sales", vp)
        for m in range(spec.managers_per_director):
            manager = user("manager", f"Sales Manager, {regions[d % len(regions)]} {m + 1}", "Sales", director)
            for _ in range(rng.randint(*spec.reps_per_manager)):
                rep = user("rep", rng.choice(("Account Executive", "Account Executive", "Senior Account Executive")),
                           "Sales", manager)
                rep.skill = rng.uniform(0.75, 1.25)
                reps.append(rep)
    sdrs: list[User] = []
    for t in range(spec.sdr_teams):
        lead = user("sdr_manager", "SDR Manager" if spec.sdr_teams == 1 else f"SDR Manager, Team {t + 1}",
                    "Sales Development", vp)
        sdrs += [user("sdr", "Sales Development Representative", "Sales Development", lead)
                 for _ in range(spec.sdrs_per_team)]
    user("marketing", "Marketing Operations Manager", "Marketing", None)

    # Two reps from different teams leave, one early in the history and one late.
    span = clock.end - clock.start
    leavers = [reps[len(reps) // 3], reps[(2 * len(reps)) // 3]]
    for leaver, share in zip(leavers, (0.45, 0.8)):
        leaver.departs = sim.business(clock.start + int(span * share))
        hire = user("rep", "Account Executive", "Sales", leaver.manager,
                    hired=sim.business(leaver.departs + 7 * DAY))
        hire.skill = rng.uniform(0.75, 1.0)
        leaver.successor = hire
        reps.append(hire)

    for w in range(clock.history_weeks):
        lo, hi = clock.start + w * WEEK, clock.start + (w + 1) * WEEK
        sim.reps_by_week.append([r for r in reps if r.hired <= lo and (r.departs is None or r.departs >= hi)])
        sim.sdrs_by_week.append(sdrs)

    for u in sim.users:
        created = u.hired or before - rng.randrange(400) * DAY
        rec = Record("users", created, {
            "id": u.id, "user_name": u.user_name, "first_name": u.first_name or None, "last_name": u.last_name,
            "title": u.title, "department": u.department,
            "reports_to_id": u.manager.id if u.manager else None, "status": "Active",
        })
        if u.departs is not None:
            rec.change(u.departs, status="Inactive")
        rec.emit(sim)


def build_rates(sim: Sim) -> None:
    """Weekly rates (USD per unit) for every non-USD currency, a random walk over the history."""
    rng, clock = sim.rng, sim.clock
    for currency, start in START_RATES.items():
        rate, series = start, []
        for w in range(clock.history_weeks):
            series.append(round(rate, 6))
            sim.event("currency_rates", clock.start + w * WEEK,
                      (currency, fmt_day((clock.start + w * WEEK) // DAY), f"{rate:.6f}"))
            rate *= math.exp(rng.gauss(0.0, 0.009))
        sim.rates[currency] = series


def build_campaigns(sim: Sim) -> None:
    """Campaigns (always-on ones plus time-boxed ones spread over the history), their
    weekly spend and their versions (Planning -> Active -> weekly actual_cost -> Complete)."""
    spec, rng, clock = sim.spec, sim.rng, sim.clock
    first_day, end_day = clock.start // DAY, clock.end // DAY
    for name, ctype, weight, weekly in EVERGREEN:
        sim.campaigns.append(Campaign(sim.new_id(), name, ctype, "USD", first_day - rng.randint(60, 400),
                                      end_day + 400, weight, weekly * sim.money_scale, True))
    kinds, kind_weights = CAMPAIGN_KINDS, [k[1] for k in CAMPAIGN_KINDS]
    n = max(spec.campaigns - len(EVERGREEN), 1)
    for i in range(n):
        ctype, _, weight, (wmin, wmax), weekly = rng.choices(kinds, kind_weights)[0]
        start = first_day - 21 + int((end_day - first_day) * (i + rng.random()) / n)
        start -= weekday(start)  # campaigns start on a Monday
        length = rng.randint(wmin, wmax) * 7
        currency = "EUR" if i % 4 == 2 else "USD"  # every fourth campaign is run by the EMEA team
        start_date = EPOCH + timedelta(days=start)
        quarter = f"Q{(start_date.month - 1) // 3 + 1} {start_date.year}"
        region = " EMEA" if currency == "EUR" else ""
        label = {
            "Web": f"Webinar: {rng.choice(TOPICS)}",
            "Email": f"Nurture{region}: {rng.choice(TOPICS)}",
            "Event": f"{rng.choice(EVENTS)} {start_date.year}",
            "Paid Search": f"Google Ads - {rng.choice(TOPICS)}",
            "Social": f"LinkedIn - {rng.choice(TOPICS)}",
            "Telesales": "Telesales Blitz",
        }[ctype]
        spend = weekly * sim.money_scale / (START_RATES["EUR"] if currency == "EUR" else 1.0)
        sim.campaigns.append(Campaign(sim.new_id(), f"{label} ({quarter})", ctype, currency, start,
                                      start + length - 1, weight, spend, False))

    for w in range(clock.history_weeks):
        monday = first_day + 7 * w
        active = [c for c in sim.campaigns if c.start_day <= monday + 6 and c.end_day >= monday]
        sim.campaigns_by_week.append(active)
        sim.nurture_by_week.append([c for c in active if c.type in ("Email", "NewsLetter", "Web", "Social")]
                                   or active)

    for c in sim.campaigns:
        emit_campaign(sim, c)
    emit_channel_spend(sim)


def emit_campaign(sim: Sim, c: Campaign) -> None:
    rng, clock = sim.rng, sim.clock
    planned = c.start_day * DAY - rng.randint(14, 40) * DAY + 10 * 3600
    weeks = (c.end_day - c.start_day + 1) // 7 if not c.evergreen else 52
    budget = round(c.weekly_spend * weeks * rng.uniform(0.9, 1.2), -2)
    rec = Record("campaigns", planned, {
        "id": c.id, "name": c.name, "campaign_type": c.type, "status": "Planning",
        "start_date": fmt_day(c.start_day), "end_date": fmt_day(c.end_day),
        "budget": fmt_money(budget), "actual_cost": fmt_money(0), "currency_id": c.currency,
    })
    rec.change(c.start_day * DAY + 9 * 3600, status="Active")
    spent = 0.0
    monday = max(c.start_day, clock.start // DAY)
    while monday <= c.end_day and monday * DAY < clock.end:
        spend = round(c.weekly_spend * rng.uniform(0.6, 1.4), 2)
        spent += spend
        booked = (monday + 7) * DAY - 1  # the week's spend is known when it is over
        sim.event("marketing_spend", booked, (fmt_day(monday), fmt_money(spend), c.id, c.type, c.currency))
        rec.change(booked, actual_cost=fmt_money(spent))
        monday += 7
    if not c.evergreen:
        rec.change((c.end_day + 1) * DAY + 8 * 3600, status="Complete")
    rec.emit(sim)


def emit_channel_spend(sim: Sim) -> None:
    """Monthly spend booked per channel, with no campaign (agencies, content, booths)."""
    rng, clock = sim.rng, sim.clock
    day = clock.start // DAY
    while True:
        first = EPOCH + timedelta(days=day)
        if first.day != 1:
            day = month_end(day) + 1
            continue
        booked = (month_end(day) + 1) * DAY - 1
        if booked >= clock.end:
            break
        for channel, currency, monthly in CHANNEL_SPEND:
            spend = monthly * sim.money_scale * rng.uniform(0.7, 1.3)
            if currency == "EUR":
                spend /= START_RATES["EUR"]
            sim.event("marketing_spend", booked, (fmt_day(day), fmt_money(round(spend, 2)), None, channel, currency))
        day = month_end(day) + 1


def build_targets(sim: Sim) -> None:
    """A quota per rep per calendar quarter, set ten days before the quarter starts.

    The quota is a rough estimate of the bookings the simulation makes per rep that
    quarter, calibrated so that mature quarters land at about 85-100% of quota."""
    spec, rng, clock = sim.spec, sim.rng, sim.clock
    nb_mean = NEW_BUSINESS.median_usd * math.exp(0.6 ** 2 / 2)
    eb_mean = EXISTING_BUSINESS.median_usd * math.exp(0.6 ** 2 / 2)
    nb_win_per_lead = 0.31 * NEW_BUSINESS.sql_rate * NEW_BUSINESS.win_rate
    year, q = quarter_of(clock.start // DAY)
    while True:
        first, last = quarter_bounds(year, q)
        set_at = sim.work_time(first - 10)
        if set_at >= clock.end:
            break
        years_in = max(first * DAY - clock.start, 0) / (52 * WEEK)
        leads = spec.leads_per_week * 1.25 ** years_in * 13
        customers = spec.installed_customers + leads * nb_win_per_lead * max(years_in * 4, 0.5)
        bookings = leads * nb_win_per_lead * nb_mean + customers * (91 / 150) * 0.7 * eb_mean
        reps = [r for r in sim.users if r.role == "rep" and r.hired < (last + 1) * DAY
                and (r.departs is None or r.departs > first * DAY)]
        for rep in reps:
            quota = bookings * 0.9 / len(reps) * rng.uniform(0.9, 1.1)
            sim.event("targets", set_at, (rep.id, fiscal_period(year, q), fmt_money(round(quota, -4))))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


# --------------------------------------------------------------------------- activities


def activity(sim: Sim, kind: str, parent_type: str, parent_id: str, user: User, start: int,
             direction: str = "Outbound", held: float = 0.85, planned_days: float = 0.0) -> None:
    """A call or meeting; a planned one is first written Planned, then Held / Not Held."""
    rng = sim.rng
    status = "Held" if rng.random() < held else "Not Held"
    duration = rng.choice((5, 10, 15, 30)) if kind == "calls" else rng.choice((30, 45, 60))
    done = start + duration * 60 + rng.randrange(900)
    row = {"id": sim.new_id(), "date_start": fmt_ts(start), "parent_type": parent_type, "parent_id": parent_id,
           "assigned_user_id": user.id, "direction": direction, "deleted": 0}
    if planned_days > 0:
        rec = Record(kind, start - int(planned_days * DAY), {**row, "status": "Planned"})
        rec.change(done, status=status)
    else:
        rec = Record(kind, done, {**row, "status": status})
    rec.emit(sim)


def touch(sim: Sim, campaign: Campaign, lead_id: str, ts: int, activity_type: str,
          related: tuple[str | None, str | None] = (None, None)) -> None:
    sim.event("campaign_log", ts, (sim.new_id(), campaign.id, "Leads", lead_id, activity_type, fmt_ts(ts), *related))


def touch_chain(sim: Sim, campaign: Campaign, lead_id: str, ts: int, steps: int) -> int:
    """Touches of one campaign on one lead from `ts`: targeted/viewed/link..., rows written."""
    rng = sim.rng
    if campaign.type in ("Email", "NewsLetter"):
        chain = ["targeted", "viewed", "link"]
    elif campaign.type == "Event":
        chain = ["targeted", "viewed"]
    else:
        chain = ["viewed", "link", "viewed", "link"]
    n = 0
    for activity_type in chain[:steps]:
        touch(sim, campaign, lead_id, ts, activity_type)
        n += 1
        ts += rng.randint(600, 3 * DAY)
    roll = rng.random()
    if roll < 0.05 and campaign.type in ("Email", "NewsLetter"):  # the unhappy endings of an email
        touch(sim, campaign, lead_id, ts, rng.choice(("removed", "blocked", "send_error", "invalid_email")))
        n += 1
    return n


def campaign_near(sim: Sim, ts: int, nurture: bool = False) -> Campaign:
    week = sim.week_index(ts)
    pool = (sim.nurture_by_week if nurture else sim.campaigns_by_week)[week]
    return sim.rng.choices(pool, [c.lead_weight for c in pool])[0]


# --------------------------------------------------------------------------- opportunities


def commit_for(probability: int) -> str:
    """SugarCRM's default forecast ranges: include >= 70, upside >= 40, else exclude."""
    return "include" if probability >= 70 else "upside" if probability >= 40 else "exclude"


class Opportunity:
    """An opportunity's life, applied change by change in time order.

    Each audited change writes an opportunities_audit row (old and new value as written in
    the opportunities file) and a new version of the record, so replaying the audit over
    the creation values ends at the record's current values.  Changes at or after AS_OF are
    not made: the deal's future ends where the data ends.
    """

    def __init__(self, sim: Sim, t0: int, *, account: Record, company: Company, owner: User, motion: Motion,
                 start_stage: int = 0, lead_source: str | None = None, campaign_id: str | None = None,
                 typed: bool = True) -> None:
        rng = sim.rng
        self.sim, self.motion, self.owner = sim, motion, owner
        self.currency = company.country.currency
        self.created = self.now = t0
        self.alive = t0 < sim.end
        self.won_at: int | None = None
        self.stage = start_stage
        self.reviewed: set[tuple[int, int]] = set()
        self.adjust_at: list[int] = []
        self.fill_usd = rng.random() < 0.9  # amount_usdollar left empty on a few
        usd = motion.median_usd * rng.lognormvariate(0.0, 0.6)
        self.amount = self._round(usd / sim.rate(self.currency, t0))
        self.close_day = self._first_close_day(t0)
        currency_id = None if self.currency == "USD" and rng.random() < 0.15 else self.currency
        probability = STAGES[start_stage][1]
        self.cur = {
            "amount": fmt_money(self.amount), "date_closed": fmt_day(self.close_day),
            "sales_stage": STAGES[start_stage][0], "probability": str(probability),
            "commit_stage": commit_for(probability), "assigned_user_id": owner.id,
        }
        self.id = sim.new_id()
        self.rec = Record("opportunities", t0, {
            "id": self.id, "name": f"{company.name} - {rng.choice(motion.products)}",
            "date_entered": fmt_ts(t0), "deleted": 0, "account_id": account.id,
            "opportunity_type": motion.opportunity_type if typed else None,
            "lead_source": lead_source, "campaign_id": campaign_id, "currency_id": currency_id,
            "amount_usdollar": self._usd(t0), **self.cur,
        })

    # ---- values

    def _round(self, amount: float) -> float:
        step = 10_000 if self.currency == "JPY" else 100
        return max(round(amount / step), 1) * step

    def _first_close_day(self, t0: int) -> int:
        rng = self.sim.rng
        day = t0 // DAY + max(14, round(rng.gauss(self.motion.cycle_days, self.motion.cycle_days * 0.3)))
        return month_end(day) if rng.random() < 0.5 else day

    def _usd(self, ts: int) -> str | None:
        if not self.fill_usd:
            return None
        return fmt_money(round(self.amount * self.sim.rate(self.currency, ts), 2))

    @property
    def is_open(self) -> bool:
        return self.stage <= LAST_OPEN

    # ---- the one way a value changes

    def _set(self, ts: int, by: User, **fields: str) -> bool:
        """Apply audited changes at `ts`; False (and the deal stops) once ts reaches AS_OF."""
        ts = max(ts, self.now + 60)  # strictly after the previous change
        if ts >= self.sim.end:
            self.alive = False
            return False
        changed: dict[str, str] = {}
        for name, value in fields.items():
            old = self.cur[name]
            if old != value:
                self.sim.event("opportunities_audit", ts,
                               (self.sim.new_id(), self.id, fmt_ts(ts), by.id, name, old, value))
                self.cur[name] = value
                changed[name] = value
        if changed:
            changed["amount_usdollar"] = self._usd(ts)
            self.rec.change(ts, **changed)
            self.now = ts
        return True

    # ---- what happens between the planned steps

    def advance_to(self, t: int) -> None:
        """Make the changes that happen before `t` while the deal waits for its next step:
        close dates pushed when they pass, hand-overs from a leaving rep, the commit call of
        the last third of the quarter, and the occasional forecast adjustment."""
        limit = min(t, self.sim.end)
        while self.alive and self.is_open:
            candidates: list[tuple[int, Callable[[int], None]]] = []
            push_at = max(self.close_day * DAY + 15 * 3600, self.now + 3600)
            candidates.append((push_at, self._push))
            handover = self.owner.handover
            if handover is not None and handover > self.now:
                candidates.append((handover, self._handover))
            review = self._next_review()
            if review is not None:
                candidates.append((review, self._review))
            if self.adjust_at:
                candidates.append((max(self.adjust_at[0], self.now + 60), self._adjust))
            when, action = min(candidates, key=lambda c: c[0])
            if when >= limit:
                break
            action(when)
        if t >= self.sim.end:
            self.alive = False

    def _push(self, ts: int) -> None:
        """The expected close date passed with the deal still open: the rep moves it out."""
        rng = self.sim.rng
        today = ts // DAY
        new = max(self.close_day, today) + rng.choice((7, 14, 14, 21, 30, 45, 60))
        if rng.random() < 0.4:
            new = month_end(new)
        self._move_close(ts, new)

    def _move_close(self, ts: int, new_day: int) -> None:
        fields = {"date_closed": fmt_day(new_day)}
        # A deal committed for this quarter and moved out of it drops to upside.
        if self.cur["commit_stage"] == "include" and quarter_of(new_day) != quarter_of(ts // DAY):
            fields["commit_stage"] = "upside"
        if self._set(ts, self.owner, **fields):
            self.close_day = new_day

    def _handover(self, ts: int) -> None:
        successor = self.owner.successor
        assert successor is not None
        if self._set(ts, self.owner.manager or successor, assigned_user_id=successor.id):
            self.owner = successor

    def _next_review(self) -> int | None:
        """The forecast call at the start of the last third of the current or next quarter."""
        today = self.now // DAY
        year, q = quarter_of(today)
        for _ in range(2):
            first, _last = quarter_bounds(year, q)
            review = (first + 61) * DAY + 16 * 3600
            if review > self.now and (year, q) not in self.reviewed:
                return review
            year, q = (year + 1, 1) if q == 4 else (year, q + 1)
        return None

    def _review(self, ts: int) -> None:
        rng = self.sim.rng
        key = quarter_of(ts // DAY)
        self.reviewed.add(key)
        in_quarter = quarter_of(self.close_day) == key
        if in_quarter and self.stage >= 5 and self.cur["commit_stage"] != "include" and rng.random() < 0.7:
            self._set(ts, self.owner, commit_stage="include")  # the rep commits the deal
        elif in_quarter and self.stage <= 3 and self.cur["commit_stage"] == "exclude" and rng.random() < 0.2:
            self._set(ts, self.owner, commit_stage="upside")  # an optimistic call
        else:
            self.now = max(self.now, ts)  # nothing changed; the review still happened

    def _adjust(self, ts: int) -> None:
        """A forecast adjustment: a deal expected this quarter is pushed to the next one
        (early in the quarter: "pushed", late: "slipped"), else the date is pulled in."""
        rng = self.sim.rng
        self.adjust_at.pop(0)
        today = ts // DAY
        year, q = quarter_of(today)
        if quarter_of(self.close_day) == (year, q):
            _first, last = quarter_bounds(year, q)
            self._move_close(ts, last + rng.randint(10, 60))
        elif self.close_day - today > 30 and rng.random() < 0.5:
            self._move_close(ts, max(today + 14, self.close_day - rng.randint(14, 45)))
        else:
            self.now = max(self.now, ts)

    # ---- the planned steps

    def move(self, t: int, stage: int) -> None:
        self.advance_to(t)
        if not self.alive:
            return
        probability = STAGES[stage][1]
        commit = commit_for(probability)
        forward = stage > self.stage
        if self.is_open and forward and self.cur["commit_stage"] == "include":
            commit = "include"  # a committed deal that moves forward stays committed
        fields = {"sales_stage": STAGES[stage][0], "probability": str(probability), "commit_stage": commit}
        if not self.is_open:  # reopened: a new expected close date
            self.close_day = t // DAY + self.sim.rng.randint(21, 60)
            fields["date_closed"] = fmt_day(self.close_day)
        if self._set(t, self.owner, **fields):
            self.stage = stage

    def close(self, t: int, won: bool) -> None:
        self.advance_to(t)
        if not self.alive:
            return
        stage = WON if won else LOST
        ts = max(t, self.now + 60)
        fields = {"sales_stage": STAGES[stage][0], "probability": str(STAGES[stage][1]),
                  "commit_stage": "include" if won else "exclude", "date_closed": fmt_day(ts // DAY)}
        if self._set(ts, self.owner, **fields):
            self.stage, self.close_day = stage, ts // DAY
            if won:
                self.won_at = self.now

    def change_amount(self, t: int) -> None:
        self.advance_to(t)
        if not self.alive or not self.is_open:
            return
        new = self._round(self.amount * self.sim.rng.choice((0.6, 0.75, 0.85, 0.9, 1.1, 1.2, 1.4)))
        old = self.amount
        self.amount = new
        if not self._set(t, self.owner, amount=fmt_money(new)):
            self.amount = old

    def tweak_probability(self, t: int) -> None:
        self.advance_to(t)
        if self.alive and self.is_open:
            p = max(5, min(95, STAGES[self.stage][1] + self.sim.rng.choice((-10, -5, 5, 10))))
            self._set(t, self.owner, probability=str(p))

    def reassign(self, t: int) -> None:
        """A manager moves the deal to another rep of the team."""
        self.advance_to(t)
        if not self.alive or not self.is_open or self.owner.manager is None:
            return
        week = self.sim.reps_by_week[self.sim.week_index(t)]
        team = [r for r in week if r.manager is self.owner.manager and r is not self.owner]
        if team:
            new = self.sim.rng.choice(team)
            if self._set(t, self.owner.manager, assigned_user_id=new.id):
                self.owner = new


def plan_path(sim: Sim, start: int, motion: Motion, skill: float) -> list[int]:
    """The stages a deal will enter, in order, ending with Closed Won or Closed Lost.

    Decided when the deal is created: whether it reaches Qualification (SQL), whether it
    is won, where a lost deal dies, and the detours on the way: skipped stages (~12% of
    steps), regressions to an earlier stage (~7%), and reopening one lost deal in ten.
    """
    rng = sim.rng
    if start == 0 and rng.random() > motion.sql_rate:
        return [LOST]  # never qualified
    win_rate = min(0.95, motion.win_rate * skill)
    path: list[int] = []
    cur = start
    for attempt in range(2):
        won = rng.random() < (win_rate if attempt == 0 else 0.35)
        final = LAST_OPEN if won else rng.choices(range(1, LAST_OPEN + 1), (3, 4, 3, 3, 2, 2, 1))[0]
        if rng.random() < 0.1 and won:
            final = LAST_OPEN - 1  # won straight from the proposal
        regressions = 0
        if cur == 0:  # a deal's first qualified step is Qualification or a skip past it
            cur = 1 if rng.random() > 0.12 else 2
            path.append(cur)
        while cur < final:
            step = 2 if rng.random() < 0.12 and cur + 2 <= final else 1
            cur += step
            path.append(cur)
            if cur < final and cur >= 3 and regressions < 2 and rng.random() < 0.07:
                cur = max(1, cur - rng.choice((1, 1, 2)))
                path.append(cur)
                regressions += 1
        path.append(WON if won else LOST)
        if won or not sim.one_in("reopen", 10):
            break
        cur = max(1, final - rng.choice((0, 1)))  # reopened after a loss
        path.append(cur)
    return path


def run_opportunity(sim: Sim, opp: Opportunity) -> None:
    """Walk the deal through its planned stages, with its calls and meetings."""
    rng = sim.rng
    pace = opp.motion.pace
    if sim.pending_opportunity_duplicates and opp.created < sim.end:
        sim.pending_opportunity_duplicates -= 1
        duplicate_opportunity(sim, opp, opp.created)
    path = plan_path(sim, opp.stage, opp.motion, opp.owner.skill)
    steps = len(path)
    amount_steps = {rng.randrange(steps) for _ in range(rng.choices((0, 1, 2), (60, 30, 10))[0])}
    tweak_step = rng.randrange(steps) if rng.random() < 0.05 else -1
    # One deal in 25 moves to another rep of the team at a step before it closes.
    reassign_step = rng.randrange(max(steps - 1, 1)) if sim.one_in("reassign", 25) else -1
    if rng.random() < 0.18:  # one forecast adjustment somewhere in the deal's life
        opp.adjust_at.append(opp.now + int(rng.uniform(0.2, 1.0) * opp.motion.cycle_days * DAY))
    t = opp.now
    for i, target in enumerate(path):
        prev = opp.stage
        if target == LOST and prev == 0:
            days = rng.uniform(21, 84) if rng.random() < 0.8 else rng.uniform(140, 280)  # stalled
        elif prev in (WON, LOST):
            days = rng.uniform(14, 70)  # before a lost deal is reopened
        else:
            days = STAGE_DAYS[prev] * pace * rng.lognormvariate(0.0, 0.5)
        t = sim.after_days(max(t, opp.now), days)
        if t >= sim.end:
            break
        if target in (WON, LOST):
            opp.close(t, target == WON)
        else:
            opp.move(t, target)
        if not opp.alive:
            return
        # The meeting or call that moved the deal on.
        if rng.random() < 0.35:
            start = max(sim.business(t - rng.randint(1, 4) * DAY), opp.created + 3600)
            activity(sim, "meetings", "Opportunities", opp.id, opp.owner, start, held=0.92,
                     planned_days=min(rng.uniform(1, 6), (start - opp.created) / DAY))
        if rng.random() < 0.5:
            start = max(sim.business(t - rng.randint(3600, 3 * DAY)), opp.created + 600)
            activity(sim, "calls", "Opportunities", opp.id, opp.owner, start)
        if i in amount_steps and target not in (WON, LOST) and target >= 2:
            opp.change_amount(sim.after_hours(opp.now, rng.uniform(2, 72)))
        if i == tweak_step:
            opp.tweak_probability(sim.after_hours(opp.now, rng.uniform(1, 48)))
        if i == reassign_step:
            opp.reassign(sim.after_hours(opp.now, rng.uniform(4, 96)))
    opp.advance_to(sim.end)  # an open deal keeps getting its close date pushed until AS_OF


# --------------------------------------------------------------------------- leads


def new_lead(sim: Sim, t_mql: int, company: Company, lead_source: str | None, campaign: Campaign | None) -> Record:
    """The MQL: campaign touches before it, the `mql` event, and the lead created in the CRM."""
    rng, spec = sim.rng, sim.spec
    lead_id = sim.new_id()
    # Touches before the MQL: the sourcing campaign, then other campaigns that influenced it.
    touches = poisson(rng, spec.touches_per_lead * 0.6)
    if campaign is not None:
        if rng.random() < 0.6 and touches:
            touches -= touch_chain(sim, campaign, lead_id, t_mql - rng.randint(2 * DAY, 20 * DAY), min(touches, 2))
        touch(sim, campaign, lead_id, t_mql, "lead", ("Leads", lead_id))
    while touches > 0:
        start = t_mql - rng.randint(3 * DAY, 60 * DAY)
        touches -= touch_chain(sim, campaign_near(sim, start, nurture=True), lead_id, start, min(touches, 3))
    score = rng.randint(55, 100)
    sim.event("mql_events", t_mql, (lead_id, "mql", fmt_ts(t_mql), score, campaign.id if campaign else None))
    first, last = sim.person()
    created = t_mql + rng.randint(60, 1800)  # the marketing tool syncs the lead to the CRM
    rec = Record("leads", created, {
        "id": lead_id, "date_entered": fmt_ts(created), "deleted": 0, "assigned_user_id": None,
        "first_name": first, "last_name": last,
        "email1": f"{first}.{last}@{company.slug}.example.com".lower(),
        "phone_work": sim.phone(company.country), "account_name": company.name, "account_id": None,
        "status": "New", "lead_source": lead_source, "campaign_id": campaign.id if campaign else None,
        "converted": 0, "opportunity_id": None, "primary_address_country": company.country.name,
    })
    if sim.pending_lead_duplicates and created < sim.end:
        sim.pending_lead_duplicates -= 1
        duplicate_lead(sim, rec)
    # Nurture touches after the MQL.
    for _ in range(poisson(rng, spec.touches_per_lead * 0.4)):
        ts = created + rng.randint(DAY, 90 * DAY)
        c = campaign_near(sim, min(ts, sim.end - 1), nurture=True)
        touch(sim, c, lead_id, ts, rng.choice(("viewed", "viewed", "link")))
    return rec


def duplicate_lead(sim: Sim, rec: Record) -> None:
    """The same form sent twice: a second lead that an SDR deletes a few days later."""
    t = rec.changes[0][0] + sim.rng.randint(60, 3600)
    copy = Record("leads", t, {**rec.initial, "id": sim.new_id(), "date_entered": fmt_ts(t)})
    copy.change(sim.after_days(t, sim.rng.uniform(1, 6)), deleted=1)
    copy.emit(sim)


# What happens to a worked lead: (converted, recycled) probabilities; the rest go Dead.
FIRST_PASS = (0.31, 0.18)
SECOND_PASS = (0.25, 0.0)


def work_lead(sim: Sim, rec: Record, convert: Callable[[int], tuple[str, str]],
              conversion: float | None = None) -> None:
    """The SDR side: assignment, calls and meetings, then Converted, Recycled or Dead.

    `convert(ts)` opens the opportunity and returns (opportunity id, account id).  A
    recycled lead goes back to nurture, and most become an MQL again weeks later.
    """
    rng = sim.rng
    t = mql = rec.changes[0][0]
    for cycle in range(2):
        if cycle == 0 and rng.random() < 0.04:
            # Never assigned: sits as New, later cleaned up as Dead (or still New).
            if rng.random() < 0.5:
                rec.change(sim.after_days(t, rng.uniform(60, 120)), status="Dead")
            break
        t = sim.after_hours(t, rng.uniform(0.2, 8.0))
        sdr = sim.pick_sdr(t)
        rec.change(t, status="Assigned", assigned_user_id=sdr.id)
        if cycle == 0 and rng.random() < 0.06:
            break  # assigned but never worked: a lead never touched
        # Speed to lead: median about a day, a long tail.
        t = sim.after_hours(t, rng.lognormvariate(math.log(18), 1.0))
        if t >= sim.end:
            break
        rec.change(t, status="In Process")
        first_touch = t
        for _ in range(rng.choices((1, 2, 3, 4), (35, 30, 20, 15))[0]):
            activity(sim, "calls", "Leads", rec.id, sdr, t, held=0.7)
            t = sim.after_hours(t, rng.uniform(20, 100))
        if rng.random() < 0.35:
            activity(sim, "meetings", "Leads", rec.id, sdr, t, held=0.9, planned_days=rng.uniform(1, 5))
        if rng.random() < 0.05:  # the prospect calls back
            activity(sim, "calls", "Leads", rec.id, sdr, sim.after_hours(first_touch, rng.uniform(4, 48)),
                     direction="Inbound", held=1.0)
        t = sim.after_days(t, rng.uniform(1, 5))
        if t >= sim.end:
            break
        p_convert, p_recycle = (FIRST_PASS if cycle == 0 else SECOND_PASS)
        if conversion is not None:
            p_convert, p_recycle = conversion, 0.0
        # Speed to lead pays: a lead called within a day of its MQL converts more often.
        p_convert *= 1.2 if first_touch - mql < DAY else 0.9
        roll = rng.random()
        if roll < p_convert:
            opp_id, account_id = convert(t)
            rec.change(t, status="Converted", converted=1, opportunity_id=opp_id, account_id=account_id)
            return
        if roll < p_convert + p_recycle:
            rec.change(t, status="Recycled")
            sim.event("mql_events", t, (rec.id, "recycled", fmt_ts(t), rng.randint(20, 50), None))
            for _ in range(rng.randint(1, 3)):  # back in nurture
                ts = t + rng.randint(7 * DAY, 60 * DAY)
                touch(sim, campaign_near(sim, min(ts, sim.end - 1), nurture=True), rec.id, ts, "viewed")
            if rng.random() > 0.6:
                break
            t = sim.business(t + rng.randint(4 * 7, 20 * 7) * DAY)  # an MQL again
            if t >= sim.end:
                break
            campaign = campaign_near(sim, t)
            touch(sim, campaign, rec.id, t - rng.randint(3600, 2 * DAY), "link")
            sim.event("mql_events", t, (rec.id, "mql", fmt_ts(t), rng.randint(60, 100), campaign.id))
            rec.change(t + 120, status="New")
            t = mql = t + 120
            continue
        rec.change(t, status="Dead")
        if rng.random() < 0.4:
            sim.event("mql_events", t, (rec.id, "disqualified", fmt_ts(t), rng.randint(0, 40), None))
        break
    # A few unconverted leads are deleted later: erasure requests and clean-ups.
    if rng.random() < 0.035:
        rec.change(rec.last_ts + rng.randint(1, 45) * DAY + rng.randrange(DAY), deleted=1)


# --------------------------------------------------------------------------- stories


def new_account(sim: Sim, ts: int, company: Company, owner: User, account_type: str) -> Record:
    return Record("accounts", ts, {
        "id": sim.new_id(), "name": company.name, "date_entered": fmt_ts(ts), "deleted": 0,
        "account_type": account_type, "industry": company.industry, "annual_revenue": company.annual_revenue,
        "employees": company.employees, "billing_address_country": company.country.name,
        "assigned_user_id": owner.id,
    })


def pick_lead_source(sim: Sim, t_mql: int) -> tuple[str, Campaign | None]:
    rng = sim.rng
    if rng.random() < CAMPAIGN_SHARE:
        campaign = campaign_near(sim, t_mql)
        return LEAD_SOURCE_BY_CAMPAIGN_TYPE[campaign.type], campaign
    return rng.choices([s for s, _ in UNSOURCED], [w for _, w in UNSOURCED])[0], None


def hunting_story(sim: Sim, t_mql: int) -> None:
    """A new prospect: MQL, lead, maybe a New Business deal, maybe a new customer to farm."""
    rng = sim.rng
    company = sim.company()
    lead_source, campaign = pick_lead_source(sim, t_mql)
    lead = new_lead(sim, t_mql, company, lead_source, campaign)
    won: list[tuple[Record, User, int]] = []

    def convert(ts: int) -> tuple[str, str]:
        owner = sim.pick_rep(ts)
        account = new_account(sim, ts, company, owner, "Prospect")
        # A few opportunities come without a type: the motion rule's fallback must
        # classify them (no won deal before -> new business).
        opp = Opportunity(sim, ts, account=account, company=company, owner=owner, motion=NEW_BUSINESS,
                          lead_source=lead_source, campaign_id=campaign.id if campaign else None,
                          typed=not sim.one_in("untyped", 20))
        run_opportunity(sim, opp)
        opp.rec.emit(sim)
        if opp.won_at is not None:
            account.change(opp.won_at, account_type="Customer")
            won.append((account, opp.owner, opp.won_at))
        else:
            hand_over_account(sim, account, owner)
            account.emit(sim)
        return opp.id, account.id

    work_lead(sim, lead, convert)
    lead.emit(sim)
    for account, owner, won_at in won:
        farm(sim, account, company, owner, won_at, typed_history=True)


def hand_over_account(sim: Sim, account: Record, owner: User) -> None:
    if owner.handover is not None and owner.handover > account.changes[0][0]:
        account.change(owner.handover, assigned_user_id=owner.successor.id)


def farm(sim: Sim, account: Record, company: Company, owner: User, since: int, typed_history: bool) -> None:
    """A customer: check-in calls and Existing Business deals (upsell, cross-sell, renewal)
    until AS_OF.  `typed_history`: the customer's first win is in the data, so a deal with
    no opportunity_type is still classified right by the fallback rule."""
    rng, spec = sim.rng, sim.spec
    hand_over_account(sim, account, owner)

    def owner_at(ts: int) -> User:
        return owner.successor if owner.handover is not None and ts >= owner.handover else owner

    t = since + int(rng.expovariate(1 / 150) * DAY) + 20 * DAY
    call = since + int(rng.expovariate(1 / spec.account_call_days) * DAY)
    while min(t, call) < sim.end:
        if call < t:
            activity(sim, "calls", "Accounts", account.id, owner_at(call), sim.business(call), held=0.9)
            call += int(rng.expovariate(1 / spec.account_call_days) * DAY) + DAY
            continue
        ts = sim.business(t)
        rep = owner_at(ts)
        # An untyped deal only where the fallback (a won deal before?) classifies it right.
        typed = not typed_history or not sim.one_in("untyped", 20)
        if rng.random() < 0.2:
            existing_customer_lead(sim, ts, account, company, rep, typed)
        else:
            opp = Opportunity(sim, ts, account=account, company=company, owner=rep, motion=EXISTING_BUSINESS,
                              start_stage=rng.choices((0, 1, 2), (60, 30, 10))[0], typed=typed)
            run_opportunity(sim, opp)
            opp.rec.emit(sim)
        t += int(rng.expovariate(1 / 150) * DAY) + 14 * DAY
    account.emit(sim)


def existing_customer_lead(sim: Sim, ts: int, account: Record, company: Company, rep: User,
                           typed: bool) -> None:
    """A contact at a customer raises a hand: a lead (Existing Customer) that an SDR
    qualifies into an Existing Business deal on the customer's account."""
    rng = sim.rng
    t_mql = ts - rng.randint(3, 20) * DAY
    campaign = campaign_near(sim, t_mql, nurture=True) if rng.random() < 0.5 else None
    lead = new_lead(sim, t_mql, company, "Existing Customer", campaign)

    def convert(t: int) -> tuple[str, str]:
        opp = Opportunity(sim, t, account=account, company=company, owner=rep, motion=EXISTING_BUSINESS,
                          lead_source="Existing Customer", campaign_id=campaign.id if campaign else None,
                          typed=typed)
        run_opportunity(sim, opp)
        opp.rec.emit(sim)
        return opp.id, account.id

    work_lead(sim, lead, convert, conversion=0.6)
    lead.emit(sim)


def duplicate_opportunity(sim: Sim, opp: Opportunity, ts: int) -> None:
    """A rep saves the same deal twice; the copy is deleted a few days later."""
    rng = sim.rng
    t = ts + rng.randint(60, 3600)
    copy = Record("opportunities", t, {**opp.rec.initial, "id": sim.new_id(), "date_entered": fmt_ts(t)})
    copy.change(sim.after_days(t, rng.uniform(1, 10)), deleted=1)
    copy.emit(sim)


def installed_customer_story(sim: Sim) -> None:
    """A customer from before the history: no lead, no won deal in the data, only farming."""
    rng, clock = sim.rng, sim.clock
    company = sim.company()
    created = sim.business(clock.start - rng.randint(60, 1500) * DAY)
    owner = sim.pick_rep(clock.start)
    if rng.random() < 0.03:  # a partner account: no deals of its own
        new_account(sim, created, company, owner, "Partner").emit(sim)
        return
    account = new_account(sim, created, company, owner, "Customer")
    farm(sim, account, company, owner, clock.start, typed_history=False)


def leads_this_week(sim: Sim, week: int) -> int:
    """New MQLs in week `week`: 25%/year growth, seasonality (summer and year-end dips,
    an autumn peak) and noise."""
    monday = sim.clock.start // DAY + 7 * week
    month = (EPOCH + timedelta(days=monday)).month
    day_of_month = (EPOCH + timedelta(days=monday)).day
    season = {7: 0.85, 8: 0.8, 9: 1.1, 10: 1.15, 11: 1.05}.get(month, 1.0)
    if month == 12 and day_of_month >= 18:
        season = 0.4
    lam = sim.spec.leads_per_week * 1.25 ** (week / 52) * season * sim.rng.uniform(0.85, 1.15)
    return poisson(sim.rng, lam)


def queue_duplicates(sim: Sim, week: int) -> None:
    """This week's duplicate leads and opportunities (deleted days later): about 1% of the
    leads, and at least one every other week in the deltas so that each delta set has
    deletions to apply."""
    lam = 0.01 * sim.spec.leads_per_week
    in_deltas = sim.clock.start + (week + 1) * WEEK > sim.clock.first_drop
    sim.pending_lead_duplicates += poisson(sim.rng, lam) + (in_deltas and week % 2 == 0)
    sim.pending_opportunity_duplicates += poisson(sim.rng, lam * 0.8) + (in_deltas and week % 2 == 1)


def mql_time(sim: Sim, week: int) -> int:
    """A moment in the week: mostly working hours on weekdays, some web forms at night."""
    rng = sim.rng
    monday = sim.clock.start // DAY + 7 * week
    if rng.random() < 0.12:
        return monday * DAY + rng.randrange(WEEK - DAY)
    day = monday + rng.choices(range(5), (22, 24, 22, 20, 12))[0]
    return day * DAY + 7 * 3600 + rng.randrange(12 * 3600)


# --------------------------------------------------------------------------- entry point


def generate(out: Path, scale: str = "small", seed: int = 42, weeks: int | None = None,
             progress: bool = False) -> GenerateSummary:
    """Write sample export drops to `out`: a full export, then `weeks` weekly deltas.

    ``scale`` is a key of ``SCALES`` (small, medium, large); ``weeks`` defaults to the
    scale's (small 12, medium 26, large 52).  The last drop is always ``AS_OF``
    (2026-11-23); the first is ``weeks`` weeks before it and holds the scale's
    ``pre_weeks`` of history (small 40, medium 52, large 104).  Files this run writes
    are replaced; a folder in `out` that looks like a drop of another run is an error,
    since loading it with these drops would mix two histories.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    weeks = spec.weeks if weeks is None else weeks
    if weeks < 0:
        raise ValueError(f"weeks must be 0 or more, got {weeks}")
    clock = Clock.for_scale(spec, weeks)
    out = Path(out)
    drops = clock.drop_names
    _check_out(out, drops)

    writer = DropWriter(out, drops, FLUSH_ROWS)
    sim = Sim(spec, clock, writer, random.Random(seed))
    build_org(sim)
    build_rates(sim)
    build_campaigns(sim)
    build_targets(sim)

    history = clock.history_weeks
    bar = _progress(progress, history + 1, scale)
    for _ in range(spec.installed_customers):
        installed_customer_story(sim)
    bar.update(1)
    for week in range(history):
        queue_duplicates(sim, week)
        times = sorted(mql_time(sim, week) for _ in range(leads_this_week(sim, week)))
        for t_mql in times:
            hunting_story(sim, t_mql)
        bar.update(1)
    bar.close()
    writer.close()
    return GenerateSummary(out, scale, seed, drops, dict(writer.rows_per_kind),
                           sum(writer.rows_per_kind.values()), dict(writer.rows_per_drop))


def _check_out(out: Path, drops: list[str]) -> None:
    if not out.is_dir():
        return
    ours = set(drops)
    stale = sorted(p.name for p in out.iterdir()
                   if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name) and p.name not in ours)
    if stale:
        raise FileExistsError(
            f"{out} already holds drops of another run ({', '.join(stale[:3])}{', ...' if len(stale) > 3 else ''}); "
            "generate into an empty folder, or remove those drops first")
    for drop in drops:  # files of an earlier identical run are rewritten, never appended to
        for kind in FILE_KINDS:
            (out / drop / f"{kind.name}.csv").unlink(missing_ok=True)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool, total: int, scale: str):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=f"generate {scale}", unit="week", file=sys.stderr)
