"""The simulated company: its state (`Sim`: random source, clock, writer, people,
campaigns, rates) and the reference data built before any story runs: the sales
organisation, exchange rates, campaigns with their spend, and quotas."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import timedelta

from sample_exports.simulation.clock import (
    DAY, EPOCH, WEEK, Clock, fiscal_period, fmt_day, fmt_money, month_end, quarter_bounds, quarter_of, weekday,
)
from sample_exports.simulation.opportunities import EXISTING_BUSINESS, NEW_BUSINESS
from sample_exports.simulation.reference_data import (
    _COUNTRY_WEIGHTS, CAMPAIGN_KINDS, CHANNEL_SPEND, COMPANY_PREFIXES, COMPANY_ROOTS, COMPANY_TRADES, COUNTRIES,
    EMPLOYEE_BANDS, EVENTS, EVERGREEN, FIRST_NAMES, INDUSTRIES, LAST_NAMES, START_RATES, TOPICS, Country,
)
from sample_exports.simulation.scales import Scale
from sample_exports.writing import DropWriter, Record

# The simulated company's own currency: its exchange rates (currency_rates) are USD per unit.
REPORTING_CURRENCY = "USD"


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


# The company's reference data: its people, exchange rates, campaigns and quotas.


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

