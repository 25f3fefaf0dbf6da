"""Opportunities: the two sales motions, a deal's planned path through the stages, and
its life change by change (each audited change an opportunities_audit row)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from sample_exports.simulation.activities import activity
from sample_exports.simulation.clock import DAY, fmt_day, fmt_money, fmt_ts, month_end, quarter_bounds, quarter_of
from sample_exports.vocabulary import (
    COMMIT, EXISTING_BUSINESS_TYPE, LAST_OPEN, LOST, NEW_BUSINESS_TYPE, OMITTED, STAGES, UPSIDE, WON, commit_for,
)
from sample_exports.writing import Record

if TYPE_CHECKING:
    from sample_exports.simulation.company import Company, Sim, User

# Mean days an opportunity of the new-business motion spends in each open stage.
STAGE_DAYS = (10.0, 9.0, 10.0, 8.0, 7.0, 7.0, 10.0, 9.0)
if len(STAGE_DAYS) != LAST_OPEN + 1:
    raise RuntimeError("STAGE_DAYS needs one mean per open stage of the stage map")


@dataclass(frozen=True)
class Motion:
    opportunity_type: str
    sql_rate: float  # share of opportunities that reach Qualification or beyond
    win_rate: float  # share of qualified opportunities won (the rep's skill scales it)
    median_usd: float  # median deal size
    cycle_days: float  # expected days from creation to close, for the first close date
    pace: float  # multiplies STAGE_DAYS
    products: tuple[str, ...]


NEW_BUSINESS = Motion(NEW_BUSINESS_TYPE, 0.85, 0.30, 25_000, 90, 1.0,
                      ("Platform - Annual", "Platform - 3 Year", "Starter Package", "Enterprise Suite"))
EXISTING_BUSINESS = Motion(EXISTING_BUSINESS_TYPE, 0.93, 0.75, 12_000, 50, 0.55,
                           ("Seat Expansion", "Renewal", "Add-on: Forecasting", "Add-on: Analytics",
                            "Professional Services", "Premium Support Upgrade"))


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
        if self.cur["commit_stage"] == COMMIT and quarter_of(new_day) != quarter_of(ts // DAY):
            fields["commit_stage"] = UPSIDE
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
        if in_quarter and self.stage >= 5 and self.cur["commit_stage"] != COMMIT and rng.random() < 0.7:
            self._set(ts, self.owner, commit_stage=COMMIT)  # the rep commits the deal
        elif in_quarter and self.stage <= 3 and self.cur["commit_stage"] == OMITTED and rng.random() < 0.2:
            self._set(ts, self.owner, commit_stage=UPSIDE)  # an optimistic call
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
        if self.is_open and forward and self.cur["commit_stage"] == COMMIT:
            commit = COMMIT  # a committed deal that moves forward stays committed
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
                  "commit_stage": COMMIT if won else OMITTED, "date_closed": fmt_day(ts // DAY)}
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


def duplicate_opportunity(sim: Sim, opp: Opportunity, ts: int) -> None:
    """A rep saves the same deal twice; the copy is deleted a few days later."""
    rng = sim.rng
    t = ts + rng.randint(60, 3600)
    copy = Record("opportunities", t, {**opp.rec.initial, "id": sim.new_id(), "date_entered": fmt_ts(t)})
    copy.change(sim.after_days(t, rng.uniform(1, 10)), deleted=1)
    copy.emit(sim)

