"""The Monday report, opened in a real browser (Debian's chromium, driven by Playwright).

Every chart must render with no console error and no request leaving the file, and
every number in the tables beside the charts must equal the published marts, read
here with this file's own queries.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, run_funnelcast

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches out: the machines reach only package registries.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FIGURES = ["funnel", "four-vs", "waterfall", "forecast", "accuracy", "speed-to-lead", "campaigns"]


@pytest.fixture(scope="module")
def opened(demo_refresh, tmp_path_factory):
    """The report the refresh wrote, loaded in chromium until every chart has rendered or failed."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    folder = demo_refresh[0]
    report = folder / "warehouse" / "monday_report.html"
    profile = tmp_path_factory.mktemp("chromium_profile")  # empty user-data-dir
    console_errors, outside_requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        page = browser.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.on("request", lambda r: outside_requests.append(r.url) if not r.url.startswith(("file:", "data:"))
                else None)
        page.goto(report.as_uri())
        # Ends when every chart has rendered or failed: no time limit, and no hang on an error.
        page.wait_for_function(
            "window.funnelcastCharts && window.funnelcastCharts.rendered + window.funnelcastCharts.failed "
            ">= window.funnelcastCharts.expected", timeout=0)
        state = page.evaluate("window.funnelcastCharts")
        marks = {key: page.locator(f"section#{key} .chart svg .role-mark path, "
                                   f"section#{key} .chart svg .role-mark line").count() for key in FIGURES}
        tables = {key: page.evaluate(
            """(key) => Array.from(document.querySelectorAll(`table[data-figure="${key}"] tbody tr`)).map(tr =>
                   Object.fromEntries(Array.from(tr.querySelectorAll("td")).map(td =>
                       [td.dataset.column, {value: td.dataset.value, text: td.textContent}])))""", key)
            for key in FIGURES}
        links = page.evaluate("Array.from(document.querySelectorAll('p.definition a')).map(a => a.href)")
        browser.close()
    published = duckdb.connect(str(folder / "warehouse" / "funnelcast.duckdb"), read_only=True)
    yield {"state": state, "marks": marks, "tables": tables, "links": links, "errors": console_errors,
           "outside": outside_requests, "con": published, "report": report}
    published.close()


def number(text: str) -> float | None:
    """A number as the table shows it: '1,234', '32.5%', '-375,702'."""
    text = text.strip()
    if not text:
        return None
    value = float(text.rstrip("%").replace(",", ""))
    return value / 100 if text.endswith("%") else value


def shown(cell: dict) -> float | None:
    return number(cell["text"])


def test_every_chart_renders_with_no_error_and_nothing_fetched(opened):
    assert opened["errors"] == []
    assert opened["outside"] == []  # scripts, styles and data are all in the file
    assert opened["state"] == {"expected": len(FIGURES), "rendered": len(FIGURES), "failed": 0, "errors": []}
    for key in FIGURES:
        assert opened["marks"][key] > 0, f"the {key} chart drew nothing"


def test_each_figure_links_to_its_definition(opened):
    headings = {re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
                for line in (REPO_ROOT / "docs" / "marts.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("### ")}
    assert len(opened["links"]) == len(FIGURES)
    for href in opened["links"]:
        path, anchor = href.split("#")
        assert Path(path.removeprefix("file://")).resolve() == (REPO_ROOT / "docs" / "marts.md").resolve()
        assert anchor in headings, href


def test_the_funnel_table_is_the_cohort_mart(opened):
    con, table = opened["con"], opened["tables"]["funnel"]
    expected = con.execute(
        """
        SELECT period_label, motion, mqls, srls, sqls, won, mql_to_srl_rate, srl_to_sql_rate, win_rate_count,
               mql_to_srl_vs_benchmark, win_rate_count_vs_benchmark, is_mature
        FROM marts.mart_funnel_conversion
        WHERE period_grain = 'month' AND method = 'cohort' AND lead_source = 'all'
          AND motion IN ('hunting', 'farming')
          AND period_start >= (SELECT max(period_start) FROM marts.mart_funnel_conversion
                               WHERE period_grain = 'month') - INTERVAL 12 MONTH
        """
    ).fetchall()
    got = {(r["month"]["text"], r["motion"]["text"]): r for r in table}
    assert set(got) == {(e[0], e[1]) for e in expected}
    for month, motion, mqls, srls, sqls, won, m2s, s2q, win, m2s_flag, win_flag, mature in expected:
        row = got[(month, motion)]
        assert [shown(row[c]) for c in ("mqls", "srls", "sqls", "won")] == [mqls, srls, sqls, won]
        for column, rate in (("mql_to_srl_rate", m2s), ("srl_to_sql_rate", s2q), ("win_rate_count", win)):
            assert shown(row[column]) == (None if rate is None else pytest.approx(rate, abs=0.0005))
        assert row["mql_to_srl_vs_benchmark"]["text"] == (m2s_flag or "")
        assert row["win_rate_count_vs_benchmark"]["text"] == (win_flag or "")
        assert row["is_mature"]["text"] == ("yes" if mature else "no")
    # What the figure is for: the running cohorts say they are immature, farming has no MQL band.
    assert {r["mql_to_srl_vs_benchmark"]["text"] for r in table if r["is_mature"]["text"] == "no"} <= {"immature", ""}
    assert {r["mql_to_srl_vs_benchmark"]["text"] for r in table if r["motion"]["text"] == "farming"} == {""}


def test_the_four_vs_are_the_weekly_mart(opened):
    con, table = opened["con"], opened["tables"]["four-vs"]
    expected = con.execute(
        "SELECT week_end, qualified_opportunities, qualified_pipeline_amount, pipeline_velocity, win_rate_count "
        "FROM marts.mart_pipeline_weekly WHERE motion = 'all' ORDER BY week_end DESC LIMIT 13"
    ).fetchall()
    got = {r["week_end"]["text"]: r for r in table}
    assert set(got) == {str(e[0]) for e in expected}
    for week, volume, value, velocity, win in expected:
        row = got[str(week)]
        assert shown(row["qualified_opportunities"]) == volume
        assert shown(row["qualified_pipeline_amount"]) == pytest.approx(float(value), abs=0.5)
        assert shown(row["pipeline_velocity"]) == pytest.approx(float(velocity), abs=0.5)
        assert shown(row["win_rate_count"]) == pytest.approx(win, abs=0.0005)


def test_the_waterfall_is_the_quarter_of_movements_and_adds_up(opened):
    con, table = opened["con"], opened["tables"]["waterfall"]
    quarter = con.execute("SELECT fiscal_quarter FROM marts.mart_pipeline_movement "
                          "WHERE week_end = (SELECT max(week_end) FROM marts.mart_pipeline_movement)").fetchone()[0]
    weeks = [r[0] for r in con.execute("SELECT DISTINCT week_end FROM marts.mart_pipeline_movement "
                                       "WHERE fiscal_quarter = ? ORDER BY 1", [quarter]).fetchall()]
    per_week = con.execute("SELECT week_end, movement, sum(amount), sum(opportunity_count) "
                           "FROM marts.mart_pipeline_movement WHERE fiscal_quarter = ? GROUP BY ALL",
                           [quarter]).fetchall()
    expected: dict[str, list[float]] = {}
    for week, movement, amount, count in per_week:
        if movement in ("starting", "ending") and week != (weeks[0] if movement == "starting" else weeks[-1]):
            continue
        total = expected.setdefault(movement, [0.0, 0])
        total[0] += float(amount)
        total[1] += int(count)
    got = {r["movement"]["text"]: (shown(r["amount"]), shown(r["opportunity_count"])) for r in table}
    assert set(got) == set(expected)
    for movement, (amount, count) in expected.items():
        assert got[movement] == (pytest.approx(amount, abs=0.5), count)
    changes = sum(amount for m, (amount, _) in got.items() if m not in ("starting", "ending"))
    assert got["starting"][0] + changes == pytest.approx(got["ending"][0], abs=len(got))


def test_the_forecast_is_the_vps_direct_reports(opened):
    con, table = opened["con"], opened["tables"]["forecast"]
    # As the README's forecast query finds them: the VP by title, this week's quarter.
    expected = con.execute(
        """
        WITH this_week AS (
            SELECT week_end AS as_of_week_end, fiscal_quarter FROM marts.dim_fiscal_calendar
            WHERE date_day = (SELECT max(as_of_week_end) FROM marts.mart_forecast_rollup)
        ),
        vp AS (SELECT user_id FROM marts.dim_sales_hierarchy
               WHERE depth = 0 AND is_under_company_root AND user_title = 'VP of Sales')
        SELECT node_name, commit, commit - commit_change, best_case, best_case - best_case_change,
               pipeline, pipeline - pipeline_change, target
        FROM marts.mart_forecast_rollup JOIN this_week USING (as_of_week_end, fiscal_quarter)
        WHERE parent_node_id IN (SELECT user_id FROM vp)
        """
    ).fetchall()
    assert len(expected) >= 2
    got = {r["direct_report"]["text"]: r for r in table}
    assert set(got) == {e[0] for e in expected}
    columns = ("commit", "commit_last_week", "best_case", "best_case_last_week", "pipeline", "pipeline_last_week",
               "target")
    for name, *values in expected:
        for column, value in zip(columns, values):
            assert shown(got[name][column]) == (None if value is None else pytest.approx(float(value), abs=0.5))


def test_the_accuracy_is_the_last_closed_quarters(opened):
    con, table = opened["con"], opened["tables"]["accuracy"]
    expected = con.execute(
        """
        SELECT fiscal_quarter, week_of_quarter, commit_accuracy, best_case_accuracy
        FROM marts.mart_forecast_accuracy WHERE node_id = 'company'
          AND fiscal_quarter IN (SELECT DISTINCT fiscal_quarter FROM marts.mart_forecast_accuracy
                                 ORDER BY 1 DESC LIMIT 4)
        """
    ).fetchall()
    got = {(r["fiscal_quarter"]["text"], int(shown(r["week_of_quarter"]))): r for r in table}
    assert set(got) == {(q, w) for q, w, _, _ in expected}
    for quarter, week, commit, best in expected:
        for column, value in (("commit_accuracy", commit), ("best_case_accuracy", best)):
            assert shown(got[(quarter, week)][column]) == (None if value is None else pytest.approx(value, abs=0.0005))


def test_speed_to_lead_is_each_sdrs_median_and_p90(opened):
    con, table = opened["con"], opened["tables"]["speed-to-lead"]
    first, last = con.execute(
        "SELECT min(week_start), max(week_end) FROM (SELECT week_start, week_end FROM marts.mart_speed_to_lead "
        "WHERE sdr_user_id = 'all' AND is_week_complete ORDER BY week_start DESC LIMIT 13)"
    ).fetchone()
    leads = con.execute(
        "SELECT coalesce(h.user_name, f.sdr_user_id), f.hours_to_first_touch FROM marts.fct_funnel f "
        "LEFT JOIN marts.dim_sales_hierarchy h ON h.user_id = f.sdr_user_id AND h.depth = 0 "
        "WHERE f.sdr_user_id IS NOT NULL AND f.mql_at::DATE BETWEEN ? AND ?", [first, last]
    ).fetchall()
    hours: dict[str, list[float]] = {}
    for sdr, h in leads:
        hours.setdefault(sdr, [])
        if h is not None:
            hours[sdr].append(h)
    got = {r["sdr"]["text"]: r for r in table}
    assert set(got) == set(hours) and len(got) > 3
    for sdr, values in hours.items():
        assert shown(got[sdr]["median_hours"]) == pytest.approx(statistics.median(values), abs=0.05)
        # percentile_cont: linear interpolation between the closest ranks ("inclusive").
        p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
        assert shown(got[sdr]["p90_hours"]) == pytest.approx(p90, abs=0.05)


def test_campaigns_are_bookings_per_spend_of_the_latest_mature_quarter(opened):
    con, table = opened["con"], opened["tables"]["campaigns"]
    expected = con.execute(
        """
        SELECT campaign_name, spend, won_amount, bookings_per_spend FROM marts.mart_campaign_performance
        WHERE attribution_model = 'linear' AND level = 'campaign'
          AND fiscal_quarter_start = (SELECT max(fiscal_quarter_start) FROM marts.mart_campaign_performance
                                      WHERE is_mature)
        """
    ).fetchall()
    got = {r["campaign"]["text"]: r for r in table}
    assert set(got) == {e[0] for e in expected}  # every campaign has a name, the unattributed row too
    assert "Unattributed (no campaign touch)" in got
    for name, spend, won, ratio in expected:
        assert shown(got[name]["spend"]) == (None if spend is None else pytest.approx(float(spend), abs=0.5))
        assert shown(got[name]["won_amount"]) == pytest.approx(float(won), abs=0.5)
        assert shown(got[name]["bookings_per_spend"]) == (None if ratio is None else pytest.approx(float(ratio),
                                                                                                     abs=0.005))


def test_funnelcast_report_rebuilds_it_from_the_published_file(demo_refresh, tmp_path):
    folder, config, home, _ = demo_refresh
    out = tmp_path / "again.html"
    proc = run_funnelcast("report", "--config", str(config), "--out", str(out), config=config, dagster_home=home,
                          check=True)
    assert str(out) in proc.stdout
    page = out.read_text(encoding="utf-8")
    # Self-contained: no script or stylesheet from anywhere else.
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)
    original = (folder / "warehouse" / "monday_report.html").read_text(encoding="utf-8")
    # The same published file gives the same numbers (the links differ: relative to where it is).
    tables = re.compile(r"<table data-figure=.*?</table>", re.S)
    assert tables.findall(page) == tables.findall(original) and len(tables.findall(page)) == len(FIGURES)


def test_the_vega_scripts_are_assembled_once_and_a_damaged_copy_is_not_used(tmp_path, monkeypatch):
    """vl-convert takes seconds to assemble its scripts: the first report keeps them in the user's
    cache, named by both versions; a cached file that is not a bundle is assembled again."""
    import vl_convert

    from orchestration import report

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fresh = vl_convert.javascript_bundle(vl_version=report._vl_version())
    cached = report.bundle_cache_path()
    assert cached.parent == tmp_path / "funnelcast" and report._vl_version() in cached.name
    assert report.vega_bundle() == fresh and cached.read_text(encoding="utf-8") == fresh
    assert list(cached.parent.iterdir()) == [cached]  # nothing left beside it
    # Read from the cache from then on: a bundle kept there is what the page gets.
    cached.write_text("/* kept */ function vegaEmbed() {}", encoding="utf-8")
    assert report.vega_bundle() == "/* kept */ function vegaEmbed() {}"
    # An empty or foreign file (emptied or overwritten by someone) is replaced by a real bundle.
    cached.write_text("", encoding="utf-8")
    assert report.vega_bundle() == fresh and cached.read_text(encoding="utf-8") == fresh
