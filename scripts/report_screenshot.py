"""Screenshot the Monday report's first screen in headless chromium (docs/report.png in the README).

    .venv/bin/python scripts/report_screenshot.py [REPORT] [PNG]

Defaults: the report `make demo` writes, and docs/report.png.  Uses Debian's
chromium with the same flags as the browser test (tests/test_report.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.test_report import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402  one list of flags


def main() -> None:
    report = Path(sys.argv[1] if len(sys.argv) > 1 else REPO_ROOT / "warehouse" / "monday_report.html").resolve()
    png = Path(sys.argv[2] if len(sys.argv) > 2 else REPO_ROOT / "docs" / "report.png")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True,
            viewport={"width": 1360, "height": 820},
        )
        page = browser.new_page()
        page.goto(report.as_uri())
        page.wait_for_function(
            "window.funnelcastCharts && window.funnelcastCharts.rendered + window.funnelcastCharts.failed "
            ">= window.funnelcastCharts.expected", timeout=0)
        page.screenshot(path=str(png))
        browser.close()
    print(f"wrote {png} ({png.stat().st_size:,} bytes) from {report}")


if __name__ == "__main__":
    main()
