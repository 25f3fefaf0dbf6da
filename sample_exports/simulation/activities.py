"""Calls, meetings and campaign touches: the activity rows around leads and deals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sample_exports.simulation.clock import DAY, fmt_ts
from sample_exports.writing import Record

if TYPE_CHECKING:
    from sample_exports.simulation.company import Campaign, Sim, User


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

