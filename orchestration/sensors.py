"""Start a refresh when a new drop folder lands."""


import dagster as dg

from ingest.config import load_settings
from ingest.drops import find_drops
from orchestration.jobs import weekly_refresh_job


@dg.sensor(
    job=weekly_refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a weekly_refresh run for each new drop folder in the landing folder.",
)
def new_drop_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    drops = find_drops(load_settings().landing_dir)
    newest_seen = context.cursor or ""
    new = [d for d in drops if d > newest_seen]
    if not new:
        return dg.SkipReason(f"no drop newer than {newest_seen or 'none'}")
    # One run for the batch: a run loads every drop not yet loaded, so a run per drop
    # would only queue no-op runs behind the first.
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"drop:{new[-1]}", tags={"funnelcast/drops": ",".join(new)[:200]})],
        cursor=new[-1],
    )
