"""The Monday report: charts of the published marts, in one HTML file beside the published file."""

import dagster as dg

from funnelcast.settings import Settings, settings_in_force
from orchestration.assets.published_marts_file import PUBLISHED_KEY
from orchestration.report import build_report, report_path

REPORT_KEY = dg.AssetKey(["published", "monday_report"])


def _describe() -> str:
    settings = settings_in_force()
    return (
        f"The Monday report {report_path(settings.published_db)}: a self-contained, offline HTML page of charts "
        f"(funnel, four V's, waterfall, forecast, accuracy, speed to lead, campaigns) drawn from "
        f"{settings.published_db} by orchestration/report.py; `funnelcast report` rebuilds it. See docs/report.md."
    )


@dg.asset(
    key=REPORT_KEY,
    group_name="publish",
    # It reads what analysts read, the published file, and only after a good publish.
    deps=[PUBLISHED_KEY],
    kinds={"html"},
    description=_describe(),
)
def monday_report(context: dg.AssetExecutionContext, settings: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
    report = build_report(settings.published_db, currency=settings.reporting_currency)
    context.log.info(f"wrote the Monday report to {report.path}")
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(report.path)), "figures": report.figures, "bytes": report.bytes}
    )
