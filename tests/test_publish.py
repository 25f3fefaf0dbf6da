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


def test_a_null_in_a_never_null_column_fails_the_build_names_the_column_and_publishes_nothing(warehouse):
    """A lead without date_entered loads (the column is required in the header, not in every row)
    and reaches stg_sugarcrm__leads.created_at, which the model's not_null_columns test says is
    never null: the build fails, the run's message names the column and its nulls, and the
    published file stays as it was."""
    folder, landing, config, home = warehouse
    published = folder / "warehouse" / "funnelcast.duckdb"
    before = sha256(published)
    (landing / "2099-01-05").mkdir()
    (landing / "2099-01-05" / "leads.csv").write_text(
        "id,date_entered,date_modified,status\nL-no-date,,2026-01-02 09:00:00,New\n", encoding="utf-8")
    proc = run_funnelcast("run", config=config, dagster_home=home)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "weekly refresh FAILED at step funnelcast_dbt_assets:" in proc.stderr
    assert "dbt test not_null_columns_stg_sugarcrm__leads failed, 1 row(s):" in proc.stderr
    assert "column_name=created_at, null_rows=1" in proc.stderr
    assert "FAILED: not_null_columns_stg_sugarcrm__leads on staging/stg_sugarcrm__leads" in proc.stdout
    assert "published:     nothing (the published file is as it was)" in proc.stdout
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


# ----------------------------------------------------------------------------- tables that did not change


def different_rows(build: Path, published: Path) -> dict[str, int]:
    """{table: rows in one file and not the other (either way, as multisets)} for every table that differs."""
    con = duckdb.connect()
    con.execute("ATTACH $p AS pub (READ_ONLY)", {"p": str(published)})
    con.execute("ATTACH $p AS build (READ_ONLY)", {"p": str(build)})
    # The build file's marts are tables and views (a mart that only selects a model's rows).
    tables = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'build' "
                         "AND table_schema = 'marts' AND table_name <> 'published_runs' ORDER BY 1").fetchall()
    differ = {}
    for (table,) in tables:
        n = con.execute(f"SELECT (SELECT count(*) FROM (FROM build.marts.{table} EXCEPT ALL FROM pub.marts.{table})) + "
                        f"(SELECT count(*) FROM (FROM pub.marts.{table} EXCEPT ALL FROM build.marts.{table}))").fetchone()[0]
        if n:
            differ[table] = n
    published_tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'pub' AND table_name <> 'published_runs'").fetchall()}
    assert published_tables == {t for (t,) in tables}
    return differ


def publish_metadata(home: Path) -> dict:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        mat = instance.get_latest_materialization_event(dg.AssetKey(["published", "marts_file"]))
        return {k: v.value for k, v in mat.asset_materialization.metadata.items()}


def test_a_publish_keeps_the_tables_that_did_not_change_and_replaces_the_others(warehouse, old_duckdb_client):
    """A refresh with nothing new rebuilds every mart with the same rows: the publish keeps them all
    from the previous file.  A drop that adds a sales rep changes the hierarchy: that table is
    written again, the others kept.  Each time the published file holds exactly the build file's
    rows, opens in a DuckDB 1.x client and has its history."""
    folder, landing, config, home = warehouse
    build, published = folder / "warehouse" / "build.duckdb", folder / "warehouse" / "funnelcast.duckdb"
    first = publish_metadata(home)
    assert first["tables_kept"] == [] and len(first["tables_copied"]) == first["tables"]  # the first publication

    run_funnelcast("run", config=config, dagster_home=home, check=True)
    unchanged = publish_metadata(home)
    assert unchanged["tables_copied"] == []
    assert sorted(unchanged["tables_kept"]) == sorted(first["tables_copied"])
    assert unchanged["full_copy_reason"].startswith("none")
    assert different_rows(build, published) == {}
    assert published_runs(published) == 2

    add_drop(landing, "2099-01-05", "id,user_name,first_name,last_name,status,reports_to_id\n"
                                    "u-new,new.rep,New,Rep,Active,\n")
    run_funnelcast("run", config=config, dagster_home=home, check=True)
    changed = publish_metadata(home)
    # Written whole, or patched: only its changed rows deleted and inserted.
    assert "marts.dim_sales_hierarchy" in [*changed["tables_copied"], *changed["tables_patched"]]
    assert changed["tables_kept"], changed  # the calendar, at least, did not change
    assert (set(changed["tables_kept"]) | set(changed["tables_copied"]) | set(changed["tables_patched"])
            == set(unchanged["tables_kept"]))
    assert different_rows(build, published) == {}
    assert published_runs(published) == 3
    assert changed["storage_version"].startswith("v1.0.0")
    proc = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
         "print(con.execute(\"SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'marts' "
         "AND coalesce(comment, '') = ''\").fetchone()[0])", str(published)],
        capture_output=True, text=True, env={"PYTHONPATH": str(old_duckdb_client), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"  # every column keeps its doc, kept or written


def hand_made_build(path: Path) -> Path:
    """A build file with three marts and a load log: what publish() reads."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.fct_big AS SELECT range AS n, md5(range::VARCHAR) AS noise FROM range(20000)")
        con.execute("CREATE TABLE marts.dim_small AS SELECT range AS k, range * 1.5 AS v FROM range(100)")
        con.execute("CREATE TABLE marts.mart_twins AS SELECT 1 AS k FROM range(4)")  # duplicate rows
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.load_log AS SELECT '2026-11-23' AS drop_name")
    return path


def republish(build: Path, published: Path, run_id: str, change: str = "", docs=None):
    from orchestration.atomic_publish import publish

    with duckdb.connect(str(build)) as con:
        if change:
            con.execute(change)
        return publish(con, published, run_id, docs=docs)


def test_publish_compares_content_not_row_order_and_replaces_what_changed(tmp_path):
    from orchestration.atomic_publish import TableDocs

    build, published = hand_made_build(tmp_path / "build.duckdb"), tmp_path / "pub" / "funnelcast.duckdb"
    first = republish(build, published, "run-1")
    assert first.full_copy_reason == "no previous file"
    # dbt rebuilds a table each run; its rows may come out in another order.
    reordered = republish(build, published, "run-2",
                          "CREATE OR REPLACE TABLE marts.fct_big AS SELECT * FROM marts.fct_big ORDER BY n DESC")
    assert sorted(reordered.tables_kept) == ["marts.dim_small", "marts.fct_big", "marts.mart_twins"]
    # One value of 20,000 and two new rows: patched, that row deleted and inserted again, the two inserted.
    one_value = republish(build, published, "run-3", "UPDATE marts.fct_big SET noise = 'x' WHERE n = 7; "
                          "INSERT INTO marts.fct_big VALUES (20000, 'a'), (20001, 'b')")
    assert one_value.tables_copied == () and one_value.tables_patched == {"marts.fct_big": (1, 3)}
    assert different_rows(build, published) == {}
    # Most of its rows changed: written whole.
    most = republish(build, published, "run-3b", "UPDATE marts.fct_big SET noise = 'y' WHERE n < 15000")
    assert most.tables_copied == ("marts.fct_big",) and most.tables_patched == {}
    # Repeated rows, one of them traded for a new one: deleting it and inserting the new one is exact.
    republish(build, published, "run-3c", "CREATE OR REPLACE TABLE marts.mart_twins AS "
              "SELECT * FROM (VALUES (1), (1), (1), (3)) t(k)")
    repeated = republish(build, published, "run-3d", "UPDATE marts.mart_twins SET k = 4 WHERE k = 3")
    assert repeated.tables_patched == {"marts.mart_twins": (1, 1)} and different_rows(build, published) == {}
    # Repeated rows that cannot be matched: from 1, 1, 1, 4 to 1, 1, 2, 2, deleting the 4 and inserting
    # the 2s would leave three 1s. Written whole.
    twins = republish(build, published, "run-4",
                      "CREATE OR REPLACE TABLE marts.mart_twins AS SELECT * FROM (VALUES (1), (1), (2), (2)) t(k)")
    assert twins.tables_copied == ("marts.mart_twins",) and twins.tables_patched == {}
    # A column's type changes, its values do not; and a new doc for a kept table.
    retyped = republish(build, published, "run-5", "CREATE OR REPLACE TABLE marts.dim_small AS "
                        "SELECT k::INTEGER AS k, v FROM marts.dim_small",
                        docs={"marts.fct_big": TableDocs("numbers", {"n": "a number"})})
    assert retyped.tables_copied == ("marts.dim_small",) and "marts.fct_big" in retyped.tables_kept
    assert different_rows(build, published) == {}
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = 'dim_small' "
                           "AND column_name = 'k'").fetchone()[0] == "INTEGER"
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'fct_big'").fetchone()[0] == "numbers"
        assert con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'fct_big' "
                           "AND column_name = 'n'").fetchone()[0] == "a number"
        assert [r[0] for r in con.execute("SELECT run_id FROM marts.published_runs ORDER BY published_at").fetchall()] == [
            "run-1", "run-2", "run-3", "run-3b", "run-3c", "run-3d", "run-4", "run-5"]
    # A table dbt no longer builds leaves the published file too.
    dropped = republish(build, published, "run-6", "DROP TABLE marts.mart_twins")
    assert "marts.mart_twins" not in dropped.tables and different_rows(build, published) == {}


def test_a_view_of_the_build_file_is_published_as_a_table_of_its_rows(tmp_path):
    # dbt builds the marts that only select an intermediate model's rows as views of it
    # (reshaping_mart_materialization): analysts' clients must find a table with the rows.
    from orchestration.atomic_publish import TableDocs

    build, published = hand_made_build(tmp_path / "build.duckdb"), tmp_path / "pub" / "funnelcast.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("CREATE SCHEMA intermediate")
        con.execute("CREATE TABLE intermediate.int_spine AS SELECT range AS n, range % 7 AS week FROM range(5000)")
        con.execute("CREATE VIEW marts.fct_spine AS SELECT n, week FROM intermediate.int_spine")
    first = republish(build, published, "run-1", docs={"marts.fct_spine": TableDocs("the spine", {"n": "a number"})})
    assert first.tables["marts.fct_spine"] == 5000
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'fct_spine'"
                           ).fetchone()[0] == "BASE TABLE"
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0
        assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'fct_spine'").fetchone()[0] == "the spine"
        # The intermediate table the view reads is not published.
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'intermediate'").fetchone()[0] == 0
    # The view's rows change with its table's: the next publish writes them again.
    changed = republish(build, published, "run-2", "UPDATE intermediate.int_spine SET week = 8 WHERE n = 42")
    assert changed.tables_patched["marts.fct_spine"] == (1, 1)
    assert different_rows(build, published) == {}
    unchanged = republish(build, published, "run-3")
    assert "marts.fct_spine" in unchanged.tables_kept
    assert different_rows(build, published) == {}


def test_a_previous_file_a_client_wrote_to_is_not_reused(tmp_path):
    """A write-ahead log beside the previous file means its tables are not all in the file: copy every
    table, and keep the log from being replayed into the new file."""
    build, published = hand_made_build(tmp_path / "build.duckdb"), tmp_path / "pub" / "funnelcast.duckdb"
    republish(build, published, "run-1")
    # A client that wrote to it and died before its checkpoint: its changes are in the WAL only.
    crashed = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); con.execute(\"SET wal_autocheckpoint = '1TB'\"); "
               "con.execute('UPDATE marts.dim_small SET v = -1'); os._exit(0)")
    subprocess.run([sys.executable, "-c", crashed, str(published)], check=True)
    assert published.with_name(published.name + ".wal").exists()
    again = republish(build, published, "run-2")
    assert again.tables_kept == () and "write-ahead log" in again.full_copy_reason
    # The old file's log is kept aside, never replayed into the new file.
    assert again.stale_wal_kept_as is not None and again.stale_wal_kept_as.exists()
    assert not published.with_name(published.name + ".wal").exists()
    assert different_rows(build, published) == {}
