"""The stories the company lives, one at a time: a new prospect (MQL, lead, maybe a New
Business deal and a new customer to farm) and an installed-base customer (farming only);
and how many new leads each week brings."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from sample_exports.simulation.activities import activity, campaign_near, touch, touch_chain
from sample_exports.simulation.clock import DAY, EPOCH, WEEK, fmt_ts
from sample_exports.simulation.company import Campaign, Company, User, poisson
from sample_exports.simulation.opportunities import (
    EXISTING_BUSINESS, NEW_BUSINESS, Opportunity, run_opportunity,
)
from sample_exports.simulation.reference_data import CAMPAIGN_SHARE, LEAD_SOURCE_BY_CAMPAIGN_TYPE, UNSOURCED
from sample_exports.writing import Record

if TYPE_CHECKING:
    from sample_exports.simulation.company import Sim

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


