"""The Monday report: one self-contained HTML file of charts, drawn from the published marts.

It reads only the published DuckDB file (read-only), the file analysts see, and
writes `monday_report.html` beside it.  The page works offline: the Vega, Vega-Lite
and Vega-Embed scripts come inlined from vl-convert's bundle (the one Altair's
`save(..., inline=True)` uses), the styles are inline, and the data is in the page.
Each figure has its numbers in a table beside the chart and a link to the
definition of the figure in docs/marts.md.  docs/report.md says what each figure
shows and how it is chosen.
"""

from __future__ import annotations

import contextlib
import html
import importlib.metadata
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import vl_convert

REPO_ROOT = Path(__file__).resolve().parent.parent
MARTS_DOC = REPO_ROOT / "docs" / "marts.md"
REPORT_FILE_NAME = "monday_report.html"

# Monthly cohorts shown in the funnel: a year and the running month.
FUNNEL_MONTHS = 13
# The four V's, speed to lead: a quarter of weeks, the trailing window of the pipeline marts.
RECENT_WEEKS = 13


def report_path(published_db: Path) -> Path:
    """Where the report of a published file lives: beside it."""
    return Path(published_db).with_name(REPORT_FILE_NAME)


@dataclass
class Column:
    name: str  # the key in each row
    label: str
    fmt: Callable[[Any], str] = str


@dataclass
class Figure:
    key: str  # section id, chart id: chart-<key>
    title: str
    lede: str
    chart: alt.TopLevelMixin | None
    columns: list[Column]
    rows: list[dict[str, Any]]
    definition: str  # a heading of docs/marts.md
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- formatting


def fmt_int(v: Any) -> str:
    return "" if v is None else f"{v:,.0f}"


def fmt_pct(v: Any) -> str:
    return "" if v is None else f"{v:.1%}"


def fmt_money(v: Any) -> str:
    return "" if v is None else f"{v:,.0f}"


def fmt_ratio(v: Any) -> str:
    return "" if v is None else f"{v:,.2f}"


def fmt_hours(v: Any) -> str:
    return "" if v is None else f"{v:,.1f}"


def fmt_bool(v: Any) -> str:
    return "" if v is None else ("yes" if v else "no")


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown viewers) give a heading."""
    text = heading.strip().lstrip("#").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def marts_headings() -> list[str]:
    return [line.lstrip("#").strip() for line in MARTS_DOC.read_text(encoding="utf-8").splitlines()
            if line.startswith("### ")]


def definition_href(heading: str, report_dir: Path) -> str:
    if heading not in marts_headings():
        raise ValueError(f"docs/marts.md has no heading {heading!r}")
    return f"{Path(os.path.relpath(MARTS_DOC, report_dir)).as_posix()}#{github_anchor(heading)}"


# ----------------------------------------------------------------------------- data


def records(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> list[dict]:
    rel = con.execute(sql, params or [])
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row)) for row in rel.fetchall()]


def _chart_data(rows: list[dict]) -> list[dict]:
    """JSON-safe rows for Vega: dates as ISO strings."""
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


# ----------------------------------------------------------------------------- figures


RATES = (
    ("MQL → SRL", "mql_to_srl_rate", "mql_to_srl_benchmark_low", "mql_to_srl_benchmark_high", "mql_to_srl_vs_benchmark"),
    ("SRL → SQL", "srl_to_sql_rate", "srl_to_sql_benchmark_low", "srl_to_sql_benchmark_high", "srl_to_sql_vs_benchmark"),
    ("win rate", "win_rate_count", "win_rate_benchmark_low", "win_rate_benchmark_high", "win_rate_count_vs_benchmark"),
)


def funnel_figure(con: duckdb.DuckDBPyConnection) -> Figure:
    rows = records(con, f"""
        WITH months AS (
            SELECT DISTINCT period_start FROM marts.mart_funnel_conversion
            WHERE period_grain = 'month' ORDER BY period_start DESC LIMIT {FUNNEL_MONTHS}
        )
        SELECT period_label AS month, motion, mqls, srls, sqls, won, lost,
               {", ".join(f"{r}::DOUBLE AS {r}, {lo}::DOUBLE AS {lo}, {hi}::DOUBLE AS {hi}, {flag}"
                          for _, r, lo, hi, flag in RATES)},
               is_mature, cohort_age_days
        FROM marts.mart_funnel_conversion
        WHERE period_grain = 'month' AND method = 'cohort' AND lead_source = 'all'
          AND motion IN ('hunting', 'farming') AND period_start IN (SELECT period_start FROM months)
        ORDER BY motion DESC, period_start
    """)
    long = []
    for r in rows:
        for label, rate, lo, hi, flag in RATES:
            long.append({"month": r["month"], "motion": r["motion"], "ratio": label, "rate": r[rate],
                         "low": r[lo], "high": r[hi], "flag": r[flag],
                         "cohort": "mature" if r["is_mature"] else "immature (still converting)"})
    base = alt.Chart(alt.Data(values=_chart_data(long))).encode(
        x=alt.X("month:O", title="MQL cohort (month)", axis=alt.Axis(labelAngle=-45)))
    band = base.mark_area(opacity=0.18, color="#2a9d8f").encode(y=alt.Y("low:Q"), y2="high:Q")
    line = base.mark_line(color="#264653").encode(y=alt.Y("rate:Q", title="rate", axis=alt.Axis(format="%")))
    points = base.mark_point(size=60, filled=True).encode(
        y="rate:Q",
        shape=alt.Shape("cohort:N", title="cohort", scale=alt.Scale(
            domain=["mature", "immature (still converting)"], range=["circle", "triangle-up"])),
        color=alt.Color("cohort:N", legend=None, scale=alt.Scale(
            domain=["mature", "immature (still converting)"], range=["#264653", "#e76f51"])),
        tooltip=["month:O", "motion:N", "ratio:N", alt.Tooltip("rate:Q", format=".1%"), "flag:N"],
    )
    chart = (alt.layer(band, line, points)
             .properties(width=190, height=140)
             .facet(row=alt.Row("motion:N", title=None), column=alt.Column("ratio:N", title=None,
                                                                          sort=[r[0] for r in RATES]))
             .resolve_scale(y="independent"))
    columns = [Column("month", "cohort"), Column("motion", "motion"), Column("mqls", "MQLs", fmt_int),
               Column("srls", "SRLs", fmt_int), Column("sqls", "SQLs", fmt_int), Column("won", "won", fmt_int),
               Column("mql_to_srl_rate", "MQL→SRL", fmt_pct), Column("mql_to_srl_vs_benchmark", "vs band"),
               Column("srl_to_sql_rate", "SRL→SQL", fmt_pct), Column("srl_to_sql_vs_benchmark", "vs band"),
               Column("win_rate_count", "win rate", fmt_pct), Column("win_rate_count_vs_benchmark", "vs band"),
               Column("is_mature", "mature", fmt_bool)]
    return Figure(
        "funnel", "The funnel per motion, by monthly cohort",
        "Of the leads (and farming deals) that entered the funnel in each month, the share that reached the next "
        "milestone, against the benchmark band (shaded). Triangles are immature cohorts: younger than the "
        "maturity window, still converting, flagged `immature` rather than below or above. Farming's MQL → SRL "
        "rate is near 100% by construction and has no band.",
        chart, columns, rows, "`marts.mart_funnel_conversion`")


FOUR_VS = (
    ("volume: qualified deals", "qualified_opportunities"),
    ("value: qualified pipeline", "qualified_pipeline_amount"),
    ("velocity: per day", "pipeline_velocity"),
    ("conversion: win rate", "win_rate_count"),
)


def four_vs_figure(con: duckdb.DuckDBPyConnection, currency: str) -> Figure:
    rows = records(con, f"""
        SELECT week_end, qualified_opportunities, qualified_pipeline_amount::DOUBLE AS qualified_pipeline_amount,
               pipeline_velocity::DOUBLE AS pipeline_velocity, win_rate_count::DOUBLE AS win_rate_count,
               is_week_complete
        FROM marts.mart_pipeline_weekly
        WHERE motion = 'all' AND week_end IN (
            SELECT DISTINCT week_end FROM marts.mart_pipeline_weekly ORDER BY week_end DESC LIMIT {RECENT_WEEKS})
        ORDER BY week_end
    """)
    long = [{"week_end": r["week_end"], "measure": label, "value": r[col]} for r in rows for label, col in FOUR_VS]
    chart = (alt.Chart(alt.Data(values=_chart_data(long)))
             .mark_line(point=True, color="#264653")
             .encode(x=alt.X("week_end:T", title="week end"), y=alt.Y("value:Q", title=None),
                     tooltip=["week_end:T", "measure:N", alt.Tooltip("value:Q", format=",.3~f")])
             .properties(width=260, height=120)
             .facet(facet=alt.Facet("measure:N", title=None, sort=[v[0] for v in FOUR_VS]), columns=2)
             .resolve_scale(y="independent"))
    columns = [Column("week_end", "week end"), Column("qualified_opportunities", "volume", fmt_int),
               Column("qualified_pipeline_amount", f"value ({currency})", fmt_money),
               Column("pipeline_velocity", f"velocity ({currency}/day)", fmt_money),
               Column("win_rate_count", "win rate", fmt_pct), Column("is_week_complete", "complete", fmt_bool)]
    return Figure(
        "four-vs", f"The four V's of the qualified pipeline, last {RECENT_WEEKS} weeks",
        "Volume and value of the open qualified pipeline at each week end; velocity and win rate over the "
        "trailing window ending that week (all motions).",
        chart, columns, rows, "`marts.mart_pipeline_weekly`: the four V's")


def waterfall_figure(con: duckdb.DuckDBPyConnection, currency: str) -> Figure:
    quarter = con.execute(
        "SELECT fiscal_quarter FROM marts.mart_pipeline_movement ORDER BY week_end DESC LIMIT 1").fetchone()
    rows: list[dict] = []
    if quarter:
        # The quarter's waterfall: the first week's starting level, every week's changes
        # summed, the latest week's ending level (each week's ending is the next one's starting).
        rows = records(con, """
            WITH weeks AS (
                SELECT min(week_end) AS first_week, max(week_end) AS last_week
                FROM marts.mart_pipeline_movement WHERE fiscal_quarter = $q
            )
            SELECT movement, min(movement_order) AS movement_order,
                   sum(amount)::DOUBLE AS amount, sum(opportunity_count)::BIGINT AS opportunity_count
            FROM marts.mart_pipeline_movement, weeks
            WHERE fiscal_quarter = $q
              AND (movement NOT IN ('starting', 'ending')
                   OR (movement = 'starting' AND week_end = first_week)
                   OR (movement = 'ending' AND week_end = last_week))
            GROUP BY movement ORDER BY movement_order
        """, {"q": quarter[0]})
    level = 0.0
    bars = []
    for r in rows:
        if r["movement"] in ("starting", "ending"):
            start, end, kind = 0.0, r["amount"], "level"
            level = r["amount"]
        else:
            start, end = level, level + r["amount"]
            kind = "increase" if r["amount"] >= 0 else "decrease"
            level = end
        bars.append({"movement": r["movement"].replace("_", " "), "order": r["movement_order"], "start": start,
                     "end": end, "kind": kind, "amount": r["amount"]})
    chart = (alt.Chart(alt.Data(values=bars))
             .mark_bar()
             .encode(x=alt.X("movement:N", sort=[b["movement"] for b in bars], title=None,
                             axis=alt.Axis(labelAngle=-40)),
                     y=alt.Y("start:Q", title=f"pipeline closing in the quarter ({currency})"), y2="end:Q",
                     color=alt.Color("kind:N", scale=alt.Scale(domain=["level", "increase", "decrease"],
                                                               range=["#264653", "#2a9d8f", "#e76f51"]),
                                     title=None),
                     tooltip=["movement:N", alt.Tooltip("amount:Q", format=",.0f")])
             .properties(width=520, height=260))
    columns = [Column("movement", "movement"), Column("amount", f"amount ({currency})", fmt_money),
               Column("opportunity_count", "deals", fmt_int)]
    return Figure(
        "waterfall", f"Pipeline waterfall of {quarter[0] if quarter else 'the current quarter'}",
        "How the open pipeline closing in the current fiscal quarter went from its level at the quarter's first "
        "week to now: each week's movements summed (reassignments between owners cancel out company-wide).",
        chart, columns, rows, "`marts.mart_pipeline_movement`: the weekly waterfall")


FORECAST_MEASURES = (("commit", "commit"), ("best case", "best_case"), ("pipeline", "pipeline"))


def forecast_figure(con: duckdb.DuckDBPyConnection, currency: str) -> Figure:
    rows = records(con, """
        WITH latest AS (
            SELECT as_of_week_end, fiscal_quarter FROM marts.mart_forecast_rollup
            WHERE quarter_relation = 'current'  -- the quarter the week is in, not the next one
            ORDER BY as_of_week_end DESC, fiscal_quarter DESC LIMIT 1
        ),
        now AS (SELECT r.* FROM marts.mart_forecast_rollup r JOIN latest USING (as_of_week_end, fiscal_quarter)),
        -- The top manager: of the managers directly under the company, the one whose
        -- team holds the most deals this quarter.
        top AS (
            SELECT node_id, node_name FROM now
            WHERE node_level = 1 AND node_type <> 'company'
              AND node_id IN (SELECT parent_node_id FROM now)
            ORDER BY open_deals + won_deals DESC, node_id LIMIT 1
        )
        SELECT now.fiscal_quarter, now.as_of_week_end, top.node_name AS manager, now.node_name AS direct_report,
               now.node_title,
               now.commit::DOUBLE AS commit, (now.commit - now.commit_change)::DOUBLE AS commit_last_week,
               now.best_case::DOUBLE AS best_case,
               (now.best_case - now.best_case_change)::DOUBLE AS best_case_last_week,
               now.pipeline::DOUBLE AS pipeline, (now.pipeline - now.pipeline_change)::DOUBLE AS pipeline_last_week,
               now.closed_won::DOUBLE AS closed_won, now.target::DOUBLE AS target
        FROM now JOIN top ON now.parent_node_id = top.node_id
        ORDER BY now.commit DESC, now.node_id
    """)
    long = []
    for r in rows:
        for label, col in FORECAST_MEASURES:
            long.append({"direct_report": r["direct_report"], "measure": label, "value": r[col],
                         "last_week": r[f"{col}_last_week"], "target": r["target"]})
    order = [label for label, _ in FORECAST_MEASURES]
    data = alt.Data(values=long)  # one data object: a faceted layer needs the same in every layer
    base = alt.Chart(data).encode(
        y=alt.Y("measure:N", sort=order, title=None),
    )
    bars = base.mark_bar().encode(
        x=alt.X("value:Q", title=currency),
        color=alt.Color("measure:N", sort=order, scale=alt.Scale(range=["#264653", "#2a9d8f", "#a8dadc"]),
                        title=None),
        tooltip=["direct_report:N", "measure:N", alt.Tooltip("value:Q", format=",.0f"),
                 alt.Tooltip("last_week:Q", format=",.0f", title="last week")])
    last_week = base.mark_tick(color="#e76f51", thickness=2, size=18).encode(
        x="last_week:Q", tooltip=[alt.Tooltip("last_week:Q", format=",.0f", title="last week")])
    # Without a y encoding the rule spans the team's whole row.
    target = alt.Chart(data).mark_rule(color="#000", strokeDash=[4, 3]).encode(
        x="target:Q", tooltip=[alt.Tooltip("target:Q", format=",.0f")])
    chart = (alt.layer(bars, last_week, target).properties(width=420, height=70)
             .facet(row=alt.Row("direct_report:N", title=None, sort=[r["direct_report"] for r in rows],
                                header=alt.Header(labelAngle=0, labelAlign="left"))))
    columns = [Column("direct_report", "direct report"), Column("commit", "commit", fmt_money),
               Column("commit_last_week", "last week", fmt_money), Column("best_case", "best case", fmt_money),
               Column("best_case_last_week", "last week", fmt_money), Column("pipeline", "pipeline", fmt_money),
               Column("pipeline_last_week", "last week", fmt_money), Column("closed_won", "closed won", fmt_money),
               Column("target", "target", fmt_money)]
    head = rows[0] if rows else {}
    return Figure(
        "forecast", f"Forecast of {head.get('fiscal_quarter', 'this quarter')} by "
        f"{head.get('manager', 'the top manager')}'s direct reports",
        f"Commit, best case and pipeline as of {head.get('as_of_week_end', '')} for each direct report's team; "
        "the red tick is last week's value, the dashed rule the team's target. The marts have no expected "
        "(weighted) forecast yet, so none is drawn.",
        chart, columns, rows, "`marts.mart_forecast_rollup`")


def accuracy_figure(con: duckdb.DuckDBPyConnection) -> Figure:
    rows = records(con, """
        SELECT fiscal_quarter, week_of_quarter, commit_accuracy::DOUBLE AS commit_accuracy,
               best_case_accuracy::DOUBLE AS best_case_accuracy
        FROM marts.mart_forecast_accuracy
        WHERE node_id = 'company' AND fiscal_quarter IN (
            SELECT DISTINCT fiscal_quarter FROM marts.mart_forecast_accuracy ORDER BY fiscal_quarter DESC LIMIT 4)
        ORDER BY fiscal_quarter, week_of_quarter
    """)
    long = [{"fiscal_quarter": r["fiscal_quarter"], "week_of_quarter": r["week_of_quarter"], "call": call,
             "accuracy": r[col]} for r in rows for call, col in (("commit", "commit_accuracy"),
                                                                   ("best case", "best_case_accuracy"))]
    chart = (alt.Chart(alt.Data(values=long)).mark_line(point=True)
             .encode(x=alt.X("week_of_quarter:O", title="week of quarter", axis=alt.Axis(labelAngle=0)),
                     y=alt.Y("accuracy:Q", axis=alt.Axis(format="%"), title="accuracy"),
                     color=alt.Color("fiscal_quarter:N", title="quarter"),
                     tooltip=["fiscal_quarter:N", "week_of_quarter:O", "call:N",
                              alt.Tooltip("accuracy:Q", format=".1%")])
             .properties(width=260, height=180)
             .facet(column=alt.Column("call:N", title=None, sort=["commit", "best case"])))
    columns = [Column("fiscal_quarter", "quarter"), Column("week_of_quarter", "week"),
               Column("commit_accuracy", "commit", fmt_pct), Column("best_case_accuracy", "best case", fmt_pct)]
    return Figure(
        "accuracy", "Forecast accuracy by week of quarter (closed quarters, company)",
        "How close each week's commit and best-case calls came to what the quarter finally won: "
        "1 − |call − actual| / actual. The last four closed quarters.",
        chart, columns, rows, "`marts.mart_forecast_accuracy`")


def speed_to_lead_figure(con: duckdb.DuckDBPyConnection) -> Figure:
    # Per SDR over the last weeks' MQLs: the weekly mart's median of medians would not be
    # a median, so the same figure is taken over the leads of those weeks (fct_funnel).
    rows = records(con, f"""
        WITH weeks AS (
            SELECT min(week_start) AS first_day, max(week_end) AS last_day FROM (
                SELECT week_start, week_end FROM marts.mart_speed_to_lead
                WHERE sdr_user_id = 'all' AND is_week_complete ORDER BY week_start DESC LIMIT {RECENT_WEEKS})
        ),
        leads AS (
            SELECT f.sdr_user_id, f.hours_to_first_touch
            FROM marts.fct_funnel f, weeks
            WHERE f.mql_at IS NOT NULL AND f.sdr_user_id IS NOT NULL
              AND cast(f.mql_at AS DATE) BETWEEN weeks.first_day AND weeks.last_day
        ),
        names AS (SELECT user_id, user_name FROM marts.dim_sales_hierarchy WHERE depth = 0)
        SELECT coalesce(names.user_name, leads.sdr_user_id) AS sdr, count(*) AS mqls,
               count(hours_to_first_touch) AS touched,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY hours_to_first_touch) AS median_hours,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY hours_to_first_touch) AS p90_hours,
               any_value(weeks.first_day) AS first_day, any_value(weeks.last_day) AS last_day
        FROM leads LEFT JOIN names ON names.user_id = leads.sdr_user_id, weeks
        GROUP BY ALL ORDER BY median_hours NULLS LAST, sdr
    """)
    long = [{"sdr": r["sdr"], "statistic": stat, "hours": r[col]}
            for r in rows for stat, col in (("median", "median_hours"), ("90th percentile", "p90_hours"))]
    chart = (alt.Chart(alt.Data(values=long)).mark_bar()
             .encode(y=alt.Y("sdr:N", sort=[r["sdr"] for r in rows], title=None),
                     x=alt.X("hours:Q", title="hours from MQL to the first held call or meeting"),
                     yOffset=alt.YOffset("statistic:N", sort=["median", "90th percentile"]),
                     color=alt.Color("statistic:N", sort=["median", "90th percentile"],
                                     scale=alt.Scale(range=["#264653", "#e9c46a"]), title=None),
                     tooltip=["sdr:N", "statistic:N", alt.Tooltip("hours:Q", format=",.1f")])
             .properties(width=420, height=alt.Step(9)))
    span = f"{rows[0]['first_day']} to {rows[0]['last_day']}" if rows else ""
    columns = [Column("sdr", "SDR"), Column("mqls", "MQLs", fmt_int), Column("touched", "touched", fmt_int),
               Column("median_hours", "median h", fmt_hours), Column("p90_hours", "p90 h", fmt_hours)]
    return Figure(
        "speed-to-lead", f"Speed to lead per SDR, last {RECENT_WEEKS} complete weeks",
        f"Hours from a lead's MQL to its first held call or meeting, over the leads that became MQLs from {span}; "
        "median and 90th percentile over the leads touched so far.",
        chart, columns, rows, "`marts.mart_speed_to_lead`")


def campaigns_figure(con: duckdb.DuckDBPyConnection, currency: str) -> Figure:
    rows = records(con, """
        WITH quarter AS (
            SELECT max(fiscal_quarter_start) AS q FROM marts.mart_campaign_performance WHERE is_mature
        )
        -- A campaign missing from the campaigns file has no name: shown by its id.
        SELECT fiscal_quarter, campaign_id, coalesce(campaign_name, campaign_id) AS campaign, channel,
               spend::DOUBLE AS spend,
               won_amount::DOUBLE AS won_amount, bookings_per_spend::DOUBLE AS bookings_per_spend
        FROM marts.mart_campaign_performance, quarter
        WHERE attribution_model = 'linear' AND level = 'campaign' AND fiscal_quarter_start = quarter.q
        ORDER BY bookings_per_spend DESC NULLS LAST, campaign_id
    """)
    shown = [r for r in rows if r["bookings_per_spend"] is not None]
    chart = (alt.Chart(alt.Data(values=shown)).mark_bar(color="#2a9d8f")
             .encode(y=alt.Y("campaign:N", sort=[r["campaign"] for r in shown], title=None),
                     x=alt.X("bookings_per_spend:Q", title=f"bookings per {currency} of spend"),
                     tooltip=["campaign:N", "channel:N", alt.Tooltip("bookings_per_spend:Q", format=",.2f"),
                              alt.Tooltip("won_amount:Q", format=",.0f"), alt.Tooltip("spend:Q", format=",.0f")])
             .properties(width=420, height=alt.Step(16)))
    columns = [Column("campaign", "campaign"), Column("channel", "channel"),
               Column("spend", f"spend ({currency})", fmt_money), Column("won_amount", "bookings", fmt_money),
               Column("bookings_per_spend", "per unit", fmt_ratio)]
    quarter = rows[0]["fiscal_quarter"] if rows else "the latest mature quarter"
    return Figure(
        "campaigns", f"Campaign bookings per unit of spend, {quarter}",
        "Bookings credited to each campaign (linear attribution: an even split over the touches before the MQL) "
        "for the entries of the latest mature quarter, over the campaign's spend in it. Campaigns without "
        "spend (or with unknown spend) are in the table only.",
        chart, columns, rows, "`marts.mart_campaign_performance`")


# ----------------------------------------------------------------------------- page


STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d262d; margin: 0;
       background: #f6f7f8; }
header { background: #264653; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .85; }
nav { padding: 8px 28px; background: #fff; border-bottom: 1px solid #dde1e4; }
nav a { margin-right: 14px; color: #264653; }
section.figure { background: #fff; margin: 16px 28px; padding: 14px 20px; border: 1px solid #dde1e4;
                 border-radius: 6px; }
section.figure h2 { margin: 0 0 4px; font-size: 17px; }
.lede { margin: 0 0 10px; color: #46525c; max-width: 70em; }
.row { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.chart { flex: 0 0 auto; }
.numbers { flex: 1 1 360px; max-height: 440px; overflow: auto; }
table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 8px; border-bottom: 1px solid #eceff1; text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #fff; }
th:first-child, td:first-child, td.text { text-align: left; }
.definition { margin: 8px 0 0; font-size: 12px; }
.empty { color: #8a949c; font-style: italic; }
"""


def _cell(value: Any, column: Column) -> str:
    raw = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else repr(value)
                                    if isinstance(value, float) else str(value))
    shown = column.fmt(value) if value is not None else ""
    if hasattr(value, "isoformat") and column.fmt is str:
        shown = value.isoformat()
    css = "" if isinstance(value, (int, float)) and not isinstance(value, bool) else ' class="text"'
    return f'<td{css} data-column="{column.name}" data-value="{html.escape(raw)}">{html.escape(shown)}</td>'


def _table(figure: Figure) -> str:
    head = "".join(f"<th>{html.escape(c.label)}</th>" for c in figure.columns)
    body = "".join("<tr>" + "".join(_cell(r.get(c.name), c) for c in figure.columns) + "</tr>" for r in figure.rows)
    return f'<table data-figure="{figure.key}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _script_json(value: Any) -> str:
    # Inside <script>, "</" would end the element.
    return json.dumps(value, default=str).replace("</", "<\\/")


def render(figures: list[Figure], title: str, subtitle: str, report_dir: Path) -> str:
    sections, specs = [], {}
    for f in figures:
        has_data = bool(f.rows)
        chart = (f'<div class="chart" id="chart-{f.key}"></div>' if has_data and f.chart is not None
                 else '<div class="chart empty">No data for this figure yet.</div>')
        if has_data and f.chart is not None:
            specs[f.key] = f.chart.to_dict()
        sections.append(
            f'<section class="figure" id="{f.key}" data-figure="{f.key}">'
            f"<h2>{html.escape(f.title)}</h2><p class=\"lede\">{html.escape(f.lede)}</p>"
            f'<div class="row">{chart}<div class="numbers">{_table(f)}</div></div>'
            f'<p class="definition">Definition: <a href="{html.escape(definition_href(f.definition, report_dir))}">'
            f"docs/marts.md, {html.escape(f.definition.replace('`', ''))}</a></p></section>"
        )
    nav = "".join(f'<a href="#{f.key}">{html.escape(f.title.split(" (")[0].split(",")[0])}</a>' for f in figures)
    # Inside <script>, "</script" would end the element.
    bundle = vega_bundle().replace("</script", "<\\/script")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
<script>{bundle}</script>
</head><body>
<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>
<nav>{nav}</nav>
{"".join(sections)}
<script>
const specs = {_script_json(specs)};
window.funnelcastCharts = {{expected: Object.keys(specs).length, rendered: 0, failed: 0, errors: []}};
for (const [key, spec] of Object.entries(specs)) {{
  vegaEmbed("#chart-" + key, spec, {{renderer: "svg", actions: false}})
    .then(() => {{ window.funnelcastCharts.rendered += 1; }})
    .catch((err) => {{ window.funnelcastCharts.failed += 1; window.funnelcastCharts.errors.push(String(err));
                      console.error(err); }});
}}
</script>
</body></html>
"""


def _vl_version() -> str:
    """Vega-Lite of the bundle: the version Altair writes its specs for (v6.4.1 -> 6.4)."""
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"{major}.{minor}"


# Every bundle holds the embedding call the page makes: a file without it is not one.
BUNDLE_MARKER = "vegaEmbed"


def bundle_cache_path() -> Path:
    """Where the bundle of this vl-convert and Vega-Lite is kept: the user's cache folder
    ($XDG_CACHE_HOME, else ~/.cache), named by both versions, so an upgrade of either makes a new one."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    version = importlib.metadata.version("vl-convert-python")
    return cache / "funnelcast" / f"vega-bundle-vl-convert-{version}-vega-lite-{_vl_version()}.js"


def vega_bundle() -> str:
    """The Vega, Vega-Lite and Vega-Embed scripts of vl-convert, for the Vega-Lite of Altair's specs.

    vl-convert assembles them anew in every process that asks (2 s on a 2-core machine, nine
    tenths of a weekly run's report step), and they depend only on the two versions: the first
    report keeps them in `bundle_cache_path()` (write_whole: never half a file) and later ones
    read them from there.  A cached file without the embedding call, or a
    cache folder that cannot be written, means the bundle is assembled again.
    """
    path = bundle_cache_path()
    try:
        cached = path.read_text(encoding="utf-8")
        if BUNDLE_MARKER in cached:
            return cached
    except (OSError, UnicodeDecodeError):
        pass
    bundle = vl_convert.javascript_bundle(vl_version=_vl_version())
    with contextlib.suppress(OSError):  # a read-only home: every report assembles its own
        write_whole(path, bundle)
    return bundle


def write_whole(path: Path, text: str) -> None:
    """`text` at `path`, written beside it and renamed over it (like the published file): a
    reader sees the old file or the new one, never half of one.  A failed write leaves nothing
    beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Report:
    path: Path
    figures: int
    bytes: int


def build_report(published_db: Path, currency: str = "USD", out: Path | None = None) -> Report:
    """Write the report of a published file (beside it, unless `out`)."""
    published_db = Path(published_db)
    out = Path(out) if out else report_path(published_db)
    with duckdb.connect(str(published_db), read_only=True) as con:
        published_at, latest_drop = con.execute(
            "SELECT published_at, latest_drop FROM marts.published_runs ORDER BY published_at DESC LIMIT 1"
        ).fetchone()
        figures = [
            funnel_figure(con),
            four_vs_figure(con, currency),
            waterfall_figure(con, currency),
            forecast_figure(con, currency),
            accuracy_figure(con),
            speed_to_lead_figure(con),
            campaigns_figure(con, currency),
        ]
    page = render(
        figures,
        "Funnelcast: the Monday report",
        f"Published {published_at:%Y-%m-%d %H:%M} UTC from the exports up to {latest_drop}; "
        f"amounts in {currency}. Source: {published_db.name}, schema marts.",
        out.parent,
    )
    write_whole(out, page)  # a reader never sees half a page
    return Report(out, len(figures), out.stat().st_size)
