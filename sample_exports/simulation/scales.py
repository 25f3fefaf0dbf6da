"""How big a simulated company and its history are, and the fixed date the data ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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
