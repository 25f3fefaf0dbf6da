"""No file stops the weekly refresh for long: a damaged or held published file is
replaced (the damaged one kept aside), a client on the build file fails the run at once
naming its process, and a publish that was killed or failed leaves nothing behind."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.atomic_publish import publish
from orchestration.resources import WarehouseResource
from tests.conftest import BIN, REPO_ROOT, run_funnelcast
from tests.test_recovery import sha256

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("open", flush=True)
sys.stdin.read()
"""


class Holder:
    """Another process with a DuckDB file open (read-only or read-write) until the test lets go."""

    def __init__(self, path: Path, mode: str):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "open"
        self.pid = self.proc.pid

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def history(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT run_id FROM marts.published_runs ORDER BY published_at").fetchall()]


def leftovers(published: Path) -> list[str]:
    return sorted(p.name for p in published.parent.glob(f".{published.name}*"))


@pytest.fixture()
def warehouse(warehouse):
    """The private copy of the small refresh (conftest) as (folder, settings file, Dagster home, the
    published file)."""
    folder, _, config, home = warehouse
    return folder, config, home, folder / "warehouse" / "funnelcast.duckdb"


# ----------------------------------------------------------------------------- item 9: the published file


def test_a_garbage_published_file_is_kept_aside_and_replaced(warehouse):
    folder, config, home, published = warehouse
    first_run = history(published)
    published.write_bytes(os.urandom(64 * 1024))  # overwritten with garbage
    garbage = sha256(published)
    # A run that fails (a broken export) leaves even a damaged file exactly as it was.
    bad = folder / "landing" / "2099-01-05"
    bad.mkdir()
    (bad / "users.csv").write_text("id,first_name\nu-new,Ann\n", encoding="utf-8")
    failed = run_funnelcast("run", config=config, dagster_home=home)
    assert failed.returncode == 1 and "2099-01-05/users.csv" in failed.stderr
    assert sha256(published) == garbage
    shutil.rmtree(bad)  # the remedy for the export; the damaged file needs none

    proc = run_funnelcast("run", config=config, dagster_home=home)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    kept = list(published.parent.glob("funnelcast.duckdb.damaged-*"))
    assert len(kept) == 1 and sha256(kept[0]) == garbage
    assert "the previous file: DAMAGED" in proc.stdout and str(kept[0]) in proc.stdout
    assert "not a valid DuckDB database file" in proc.stdout
    # The history comes from the build file: nothing of it was lost with the damaged file.
    runs = history(published)
    assert runs[: len(first_run)] == first_run and len(runs) == len(first_run) + 1
    with dg.DagsterInstance.from_config(str(home)) as instance:
        mat = instance.get_latest_materialization_event(dg.AssetKey(["published", "marts_file"]))
        assert mat.asset_materialization.metadata["previous_file_state"].value == "damaged"


def test_a_published_file_held_open_read_write_never_blocks_the_publish(warehouse):
    folder, config, home, published = warehouse
    before = history(published)
    holder = Holder(published, "rw")
    try:
        proc = run_funnelcast("run", config=config, dagster_home=home)
    finally:
        holder.close()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"held it open read-write" in proc.stdout and f"process {holder.pid}" in proc.stdout
    assert len(history(published)) == len(before) + 1
    assert not list(published.parent.glob("funnelcast.duckdb.damaged-*"))  # not damaged: nothing kept


def _build_file(tmp_path: Path, rows: int = 10) -> Path:
    """A build file with what publish() reads: a mart (of text that does not compress) and a load log."""
    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(f"CREATE TABLE marts.fct_numbers AS SELECT range AS n, md5(range::VARCHAR) AS noise FROM range({rows})")
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.load_log (drop_name VARCHAR)")
        con.execute("INSERT INTO raw.load_log VALUES ('2026-11-23')")
    return db


@pytest.mark.parametrize("damage", ["truncated", "empty", "another_duckdb_file", "stale_wal"])
def test_publish_replaces_a_damaged_file_of_any_kind(tmp_path, damage):
    build = _build_file(tmp_path)
    published = tmp_path / "pub" / "funnelcast.duckdb"
    with duckdb.connect(str(build)) as con:
        publish(con, published, "run-1")
    if damage == "truncated":
        published.write_bytes(published.read_bytes()[:5000])
    elif damage == "empty":
        published.write_bytes(b"")
    elif damage == "another_duckdb_file":
        published.unlink()
        duckdb.connect(str(published)).close()
    else:  # garbage with a write-ahead log beside it, as a client that crashed leaves
        published.write_bytes(b"\0" * 8192)
        published.with_name(published.name + ".wal").write_bytes(b"not a wal of the new file")
    damaged = sha256(published)
    with duckdb.connect(str(build)) as con:
        result = publish(con, published, "run-2")
    assert result.previous.state == "damaged", result.previous
    assert result.previous.kept_as is not None and sha256(result.previous.kept_as) == damaged
    assert not published.with_name(published.name + ".wal").exists()
    assert history(published) == ["run-1", "run-2"]
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_numbers").fetchone()[0] == 10


# ----------------------------------------------------------------------------- item 13: leftovers


def test_the_next_publish_removes_every_leftover_of_an_interrupted_one(tmp_path):
    build = _build_file(tmp_path)
    published = tmp_path / "pub" / "funnelcast.duckdb"
    with duckdb.connect(str(build)) as con:
        publish(con, published, "run-1")
    before = sha256(published)
    # What a publish killed (or out of disk) can leave: its file, that file's WAL, DuckDB's temp folder.
    for name in (".funnelcast.duckdb.dead-run.tmp", ".funnelcast.duckdb.dead-run.tmp.wal"):
        (published.parent / name).write_bytes(b"half written")
    (published.parent / ".funnelcast.duckdb.dead-run.tmp.tmp").mkdir()
    (published.parent / ".funnelcast.duckdb.dead-run.tmp.tmp" / "spill").write_bytes(b"x")
    assert sha256(published) == before
    with duckdb.connect(str(build)) as con:
        result = publish(con, published, "run-2")
    assert sorted(result.leftovers_removed) == [".funnelcast.duckdb.dead-run.tmp", ".funnelcast.duckdb.dead-run.tmp.tmp",
                                                ".funnelcast.duckdb.dead-run.tmp.wal"]
    assert leftovers(published) == []
    assert history(published) == ["run-1", "run-2"]


KILLED_PUBLISH = """
import sys, duckdb
from pathlib import Path
from orchestration.atomic_publish import publish
con = duckdb.connect(sys.argv[1])
publish(con, Path(sys.argv[2]), "killed-run")
"""

FULL_DISK_PUBLISH = """
import resource, signal, sys, duckdb
from pathlib import Path
from orchestration.atomic_publish import publish
con = duckdb.connect(sys.argv[1])
# A full disk, for this process: writes past 2 MB fail (EFBIG) instead of killing it.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))
try:
    publish(con, Path(sys.argv[2]), "full-disk-run")
except duckdb.Error as exc:
    print("FAILED", type(exc).__name__, str(exc).splitlines()[0][:200], flush=True)
    sys.exit(3)
"""


def test_a_publish_killed_midway_leaves_the_old_file_and_the_next_cleans_up(tmp_path):
    build = _build_file(tmp_path, rows=3_000_000)
    published = tmp_path / "pub" / "funnelcast.duckdb"
    with duckdb.connect(str(build)) as con:
        publish(con, published, "run-1")
    before = sha256(published)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PUBLISH, str(build), str(published)], cwd=REPO_ROOT,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    deadline = time.monotonic() + 120
    while not any(n.endswith(".tmp") for n in leftovers(published)) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the publish ended before it could be killed"
    assert leftovers(published), "the killed publish left nothing to clean"
    assert sha256(published) == before
    with duckdb.connect(str(build)) as con:
        result = publish(con, published, "run-2")
    assert set(result.leftovers_removed) and leftovers(published) == []
    assert history(published) == ["run-1", "run-2"]


def test_a_publish_that_runs_out_of_disk_removes_its_own_files(tmp_path):
    build = _build_file(tmp_path, rows=500_000)
    published = tmp_path / "pub" / "funnelcast.duckdb"
    with duckdb.connect(str(build)) as con:
        publish(con, published, "run-1")
    before = sha256(published)
    proc = subprocess.run([sys.executable, "-c", FULL_DISK_PUBLISH, str(build), str(published)], cwd=REPO_ROOT,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "FAILED" in proc.stdout
    assert leftovers(published) == []
    assert sha256(published) == before


# ----------------------------------------------------------------------------- item 10: a client on the build file


def test_a_reader_on_the_build_file_fails_the_run_at_once_naming_its_process(warehouse):
    folder, config, home, published = warehouse
    build = folder / "warehouse" / "build.duckdb"
    before = sha256(published)
    holder = Holder(build, "ro")
    try:
        started = time.monotonic()
        proc = run_funnelcast("run", config=config, dagster_home=home)
        seconds = time.monotonic() - started
    finally:
        holder.close()
    assert proc.returncode == 1
    assert seconds < 90, f"the run took {seconds:.0f} s to fail"
    assert "weekly refresh FAILED at step (starting the run)" in proc.stderr
    assert f"locked by process {holder.pid}" in proc.stderr
    assert f"open the published file {published} instead" in proc.stderr
    assert proc.stderr.count("locked by process") == 1  # once, not once per step
    assert sha256(published) == before
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs(limit=1)[0].status == dg.DagsterRunStatus.FAILURE
    # The remedy: close the client, run again.
    again = run_funnelcast("run", config=config, dagster_home=home)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]


def test_a_run_launched_outside_the_cli_fails_as_fast_with_the_same_message(warehouse):
    """The daemon and the UI execute the job from the code location, not through `funnelcast run`."""
    folder, config, home, published = warehouse
    build = folder / "warehouse" / "build.duckdb"
    before = sha256(published)
    holder = Holder(build, "ro")
    env = {**os.environ, "FUNNELCAST_CONFIG": str(config), "DAGSTER_HOME": str(home)}
    try:
        started = time.monotonic()
        proc = subprocess.run([str(BIN / "dagster"), "job", "execute", "-m", "orchestration.definitions",
                               "-j", "weekly_refresh"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
        seconds = time.monotonic() - started
    finally:
        holder.close()
    assert proc.returncode != 0
    assert seconds < 90, f"the run took {seconds:.0f} s to fail"
    assert sha256(published) == before
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs(limit=1)[0]
        assert run.status == dg.DagsterRunStatus.FAILURE
        logs = " ".join(str(e.dagster_event.event_specific_data) for e in instance.all_logs(run.run_id)
                        if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE)
    assert re.search(rf"locked by process {holder.pid}\b", logs), logs[:2000]


def test_an_open_during_the_run_fails_at_once_naming_the_process(tmp_path):
    build = tmp_path / "build.duckdb"
    duckdb.connect(str(build)).close()
    holder = Holder(build, "ro")
    try:
        resource = WarehouseResource(database=str(build), published_db=str(tmp_path / "funnelcast.duckdb"))
        started = time.monotonic()
        with pytest.raises(dg.Failure) as failure:
            with resource.get_connection():
                pass
        seconds = time.monotonic() - started
    finally:
        holder.close()
    assert seconds < 10
    assert f"locked by process {holder.pid}" in failure.value.description
    assert str(tmp_path / "funnelcast.duckdb") in failure.value.description
    with resource.get_connection() as con:  # the client gone, the file opens
        assert con.execute("SELECT 1").fetchone() == (1,)
