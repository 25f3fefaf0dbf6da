"""Publishing: analysts read a file that is replaced atomically, only after a good run."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_funnelcast

READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
query = "SELECT count(*) FROM marts.published_runs"
print(con.execute(query).fetchone()[0], flush=True)
sys.stdin.readline()  # hold the connection open until the test says so
print(con.execute(query).fetchone()[0], flush=True)
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_runs(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM marts.published_runs").fetchone()[0]


@pytest.fixture(scope="module")
def first_refresh(small_refresh) -> Path:
    """A folder holding landing/, warehouse/ and dagster_home/ after one good refresh (the session's:
    read it only; `warehouse` is a copy to change)."""
    return small_refresh[0]


def add_drop(landing: Path, name: str, users_csv: str) -> None:
    (landing / name).mkdir()
    (landing / name / "users.csv").write_text(users_csv, encoding="utf-8")


def test_published_file_holds_marts_and_no_personal_layers(warehouse):
    folder, _, _, _ = warehouse
    with duckdb.connect(str(folder / "warehouse" / "funnelcast.duckdb"), read_only=True) as con:
        schemas = {r[0] for r in con.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
        assert schemas == {"marts"}
        run = con.execute("SELECT latest_drop, row_counts['marts.dim_fiscal_calendar'] FROM marts.published_runs").fetchone()
        assert run[0] == sorted(p.name for p in (folder / "landing").iterdir())[-1]
        assert run[1] == con.execute("SELECT count(*) FROM marts.dim_fiscal_calendar").fetchone()[0]


def test_an_open_reader_neither_blocks_the_run_nor_sees_a_mix(warehouse):
    folder, landing, config, home = warehouse
    published = folder / "warehouse" / "funnelcast.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "1"
        add_drop(landing, "2099-01-05", "id,user_name\nu-new,new.rep\n")
        proc = run_funnelcast("run", config=config, dagster_home=home)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        reader.stdin.write("\n")
        reader.stdin.flush()
        # The open connection still reads last week's complete file...
        assert reader.stdout.readline().strip() == "1"
    finally:
        reader.kill()
        reader.wait()
    # ...and a new connection reads this week's.
    assert published_runs(published) == 2


def test_a_failed_run_leaves_the_published_file_untouched(warehouse):
    folder, landing, config, home = warehouse
    published = folder / "warehouse" / "funnelcast.duckdb"
    before = sha256(published)
    add_drop(landing, "2099-01-05", "id,first_name\nu-new,Ann\n")  # user_name missing: contract broken
    proc = run_funnelcast("run", config=config, dagster_home=home)
    assert proc.returncode == 1
    assert "2099-01-05/users.csv" in proc.stderr
    assert sha256(published) == before
    assert published_runs(published) == 1


OLD_CLIENT = "1.1.3"


@pytest.fixture(scope="module")
def old_duckdb_client(tmp_path_factory) -> Path:
    """DuckDB's 1.x Python client, unpacked beside (not into) the venv."""
    folder = tmp_path_factory.mktemp("duckdb_old")
    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
         f"duckdb=={OLD_CLIENT}", "-d", str(folder)],
        capture_output=True, text=True,
    )
    wheels = list(folder.glob("duckdb-*.whl"))
    if fetched.returncode != 0 or not wheels:
        pytest.skip(f"could not fetch duckdb {OLD_CLIENT} from the package registry: {fetched.stderr[-500:]}")
    shutil.unpack_archive(wheels[0], folder / "site", format="zip")
    return folder / "site"


def test_the_published_file_opens_in_a_duckdb_1x_client(first_refresh, old_duckdb_client):
    published = first_refresh / "warehouse" / "funnelcast.duckdb"
    code = (
        "import duckdb; con = duckdb.connect(__import__('sys').argv[1], read_only=True); "
        "print(duckdb.__version__, con.execute('SELECT count(*) FROM marts.dim_fiscal_calendar').fetchone()[0])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(published)], capture_output=True, text=True,
        env={"PYTHONPATH": str(old_duckdb_client), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    version, calendar_rows = proc.stdout.split()
    assert version == OLD_CLIENT
    with duckdb.connect(str(published), read_only=True) as con:
        assert int(calendar_rows) == con.execute("SELECT count(*) FROM marts.dim_fiscal_calendar").fetchone()[0]


def test_a_duckdb_1x_client_sees_the_column_docs(first_refresh, old_duckdb_client):
    published = first_refresh / "warehouse" / "funnelcast.duckdb"
    code = (
        "import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(json.dumps(con.execute(\"SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE schema_name = 'marts' ORDER BY ALL\").fetchall()))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(published)], capture_output=True, text=True,
        env={"PYTHONPATH": str(old_duckdb_client), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    import json

    seen = [tuple(r) for r in json.loads(proc.stdout)]
    with duckdb.connect(str(published), read_only=True) as con:
        assert seen == con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() "
                                   "WHERE schema_name = 'marts' ORDER BY ALL").fetchall()
    assert all(comment for _, _, comment in seen)


def test_the_published_file_holds_no_personal_data_of_leads(first_refresh):
    """Every text column of every published table, scanned for the leads' e-mails, phones and names."""
    con = duckdb.connect()
    con.execute("ATTACH $p AS pub (READ_ONLY)", {"p": str(first_refresh / "warehouse" / "funnelcast.duckdb")})
    con.execute("ATTACH $p AS build (READ_ONLY)", {"p": str(first_refresh / "warehouse" / "build.duckdb")})
    con.execute(
        """
        CREATE TEMP TABLE personal AS
        SELECT DISTINCT lower(trim(v)) AS value FROM (
            SELECT unnest([email1, phone_work, first_name || ' ' || last_name, last_name]) AS v FROM build.raw.leads
        ) WHERE v IS NOT NULL AND length(trim(v)) >= 4
        -- Sales staff's names are published on purpose (the forecast hierarchy); a lead who
        -- shares a rep's name is not a leak.
        EXCEPT
        SELECT DISTINCT lower(trim(v)) FROM (
            SELECT unnest([first_name || ' ' || last_name, last_name, user_name]) AS v FROM build.raw.users
        ) WHERE v IS NOT NULL
        """
    )
    assert con.execute("SELECT count(*) FROM personal").fetchone()[0] > 100  # the scan has something to find
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = 'pub' "
        "AND data_type IN ('VARCHAR', 'JSON') ORDER BY ALL"
    ).fetchall()
    assert columns
    leaks = []
    for table, column in columns:
        found = con.execute(
            f'SELECT count(*) FROM pub.marts."{table}" t JOIN personal p ON lower(trim(t."{column}")) = p.value '
            f"OR regexp_matches(t.\"{column}\", '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{{2,}}')"
        ).fetchone()[0]
        if found:
            leaks.append(f"marts.{table}.{column}: {found}")
    assert leaks == []
