"""Monday morning, before the forecast calls."""

from __future__ import annotations

import dagster as dg

from funnelcast.settings import Settings
from orchestration.jobs import weekly_refresh_job


def weekly_refresh_schedule(settings: Settings) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="weekly_refresh_schedule",
        job=weekly_refresh_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Runs the weekly refresh at '{settings.schedule_cron}' ({settings.timezone}), "
        "so the marts are fresh for the Monday forecast reviews.",
    )
