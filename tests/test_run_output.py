"""What people see: the run's summary, the comments in the published file, the dbt docs site."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import duckdb
import yaml

from tests.conftest import BIN, REPO_ROOT


def test_a_cli_run_prints_progress_and_a_summary_not_the_debug_stream(demo_refresh):
    folder, _, home, proc = demo_refresh
    out = proc.stdout
    lines = out.splitlines()
    assert proc.stderr == ""
    assert "DEBUG" not in out and "dagster - " not in out and "START sql" not in out
    assert len(lines) < 60, out  # the full stream is about two thousand lines
    for phase in ("[1/4] load the exports", "[2/4] dbt build", "[3/4] publish the marts",
                  "[4/4] write the Monday report"):
        assert phase in out
    # The summary's figures are the build file's and the manifest's, not just words.
    with duckdb.connect(str(folder / "warehouse" / "build.duckdb"), read_only=True) as con:
        drops, rows = con.execute("SELECT count(DISTINCT drop_name), sum(rows_loaded) FROM raw.load_log").fetchone()
        quarantined = con.execute("SELECT count(DISTINCT (drop_name, file_name, line)) FROM raw.rejected_rows"
                                  ).fetchone()[0]
    assert f"loaded:        {drops} new drops" in out and f"{rows:,} rows" in out
    assert f"quarantined:   {quarantined:,} rows" in out or f"quarantined:   {quarantined:,} rows broke" in out
    manifest = json.loads((REPO_ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    tests = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "test")
    found = re.search(r"dbt tests:\s+(\d+) passed, (\d+) warned, (\d+) failed \(of (\d+)\)", out)
    assert found, out
    passed, warned, failed, total = map(int, found.groups())
    assert (passed + warned + failed, failed, total) == (tests, 0, tests)
    marts = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts")
    assert f"published:     {marts} marts to {folder / 'warehouse' / 'funnelcast.duckdb'}" in out
    assert f"report:        {folder / 'warehouse' / 'monday_report.html'}" in out
    assert re.search(r"time:\s+(\d+ min )?\d+ s", out)
    # The whole stream is in the log file the run names, and stays there.
    log = Path(re.search(r"full log:\s+(\S+)", out).group(1))
    assert log.parent == home / "logs"
    text = log.read_text(encoding="utf-8")
    assert "DEBUG" in text and "dbt" in text and len(text.splitlines()) > 10 * len(lines)


def test_a_failed_run_says_what_failed_first_and_keeps_the_trace_in_the_log(small_landing, tmp_path):
    import shutil

    from tests.conftest import run_funnelcast, write_settings

    shutil.copytree(small_landing, tmp_path / "landing")
    bad = tmp_path / "landing" / "2099-01-05"
    bad.mkdir()
    (bad / "users.csv").write_text("id,first_name\nu-new,Ann\n", encoding="utf-8")
    config = write_settings(tmp_path, tmp_path / "landing")
    proc = run_funnelcast("run", config=config, dagster_home=tmp_path / "home")
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[:3]
    assert first[0] == "weekly refresh FAILED at step raw__users:"
    assert first[1] == "  1 users file(s) could not be loaded:"
    assert "2099-01-05/users.csv" in first[2] and "user_name" in first[2]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert "published:     nothing (the published file is as it was)" in proc.stdout
    log = Path(re.search(r"full log: (\S+)", proc.stderr).group(1))
    assert "Traceback" in log.read_text(encoding="utf-8") or "Stack Trace" in log.read_text(encoding="utf-8")


def mart_descriptions() -> dict[tuple[str, str], str]:
    """(table, column or '') -> description, read straight from the marts' YAML files."""
    found = {}
    for path in (REPO_ROOT / "dbt_project" / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            found[(model["name"], "")] = model.get("description", "")
            for column in model.get("columns", []):
                found[(model["name"], column["name"])] = column.get("description", "")
    return {k: " ".join(v.split()) for k, v in found.items()}


def test_every_published_table_and_column_carries_its_dbt_description(demo_refresh):
    folder = demo_refresh[0]
    described = mart_descriptions()
    with duckdb.connect(str(folder / "warehouse" / "funnelcast.duckdb"), read_only=True) as con:
        tables = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()
        columns = con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() "
                              "WHERE schema_name = 'marts'").fetchall()
    assert len(tables) == len({t for t, c in described if c == ""}) + 1 and len(columns) > 300
    assert [t for t, c in tables if not c] == []
    assert [(t, c) for t, c, comment in columns if not comment] == []
    for table, comment in tables:
        if table != "published_runs":  # written by the publisher, not dbt
            assert comment == described[(table, "")], table
    for table, column, comment in columns:
        if table != "published_runs":
            assert comment == described[(table, column)], f"{table}.{column}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_funnelcast_docs_serves_the_dbt_docs_on_localhost(demo_refresh, tmp_path):
    folder, config, home, _ = demo_refresh
    # The manifest every refresh reads (dbt_project/target): building the docs must not rewrite it.
    refresh_manifest = REPO_ROOT / "dbt_project" / "target" / "manifest.json"
    manifest_before = (refresh_manifest.stat().st_mtime_ns, refresh_manifest.read_bytes())
    port = free_port()
    env = {**os.environ, "FUNNELCAST_CONFIG": str(config), "DAGSTER_HOME": str(home)}
    log = (tmp_path / "docs.log").open("w")
    server = subprocess.Popen([str(BIN / "funnelcast"), "docs", "--port", str(port)], cwd=REPO_ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        catalog = None
        while catalog is None:  # until it answers, or the process ends (then the assert below says why)
            assert server.poll() is None, (tmp_path / "docs.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog.json") as answer:
                    catalog = json.load(answer)
            except OSError:
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
            assert "dbt" in answer.read().decode("utf-8", "replace").lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json") as answer:
            manifest = json.load(answer)
        node = manifest["nodes"]["model.funnelcast.mart_funnel_conversion"]
        assert " ".join(node["columns"]["is_mature"]["description"].split()) == mart_descriptions()[
            ("mart_funnel_conversion", "is_mature")]
        # The catalog was read from the build file: the mart's real columns and types.
        assert "is_mature" in {c.lower() for c in catalog["nodes"]["model.funnelcast.mart_funnel_conversion"]["columns"]}
        # The site was built beside the build file, and the refreshes' manifest is as it was.
        assert (folder / "warehouse" / "dbt-docs" / "catalog.json").is_file()
        assert (refresh_manifest.stat().st_mtime_ns, refresh_manifest.read_bytes()) == manifest_before
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A process that ignores SIGTERM (inherited: a shell or a test runner started with it
            # ignored) would keep the suite waiting for ever: the server is only needed up to here.
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
