"""`make bench`: the weekly refresh measured as a user runs it, against the plain-SQL floor.

    .venv/bin/python scripts/bench.py [--scale small|medium|large] [--cache DIR] [--work DIR] [--generate-only]

Figures only: nothing is asserted.  What it does, in order:

1. The sample exports of the scale (`funnelcast generate`, seed 42) are generated once into
   the cache folder (default ~/.cache/funnelcast/bench/<scale>-seed<seed>, or
   $FUNNELCAST_BENCH_CACHE, or --cache: a folder of drop folders), outside the checkout so
   it survives; the generator's seconds and peak RSS go to <cache>.generator.json beside it.
2. Full refresh: a fresh work folder (DAGSTER_HOME, build file, published file, a landing
   folder of symlinks to every drop but the last) and `funnelcast run --config ...`, the
   real CLI as a child process.  Then the delta: the last drop is linked in and
   `funnelcast run` runs again.  Each measured run (and the floor) starts once the writes
   of the one before are on disk (settle_disk).
3. The floor: the same model SQL, compiled by `dbt compile` against an empty file (so
   is_incremental() is false), executed in one DuckDB connection of one Python process
   after a plain read_csv load of the files the full refresh loaded: no dbt, no Dagster,
   no tests, no publish.

Where the figures come from: step times from the Dagster instance's event log (STEP_START
to STEP_SUCCESS/STEP_FAILURE per step key); the dbt step split into models and tests by
the execution_time of the model.* and test.* nodes of the invocation's run_results.json;
rows loaded from raw.load_log; memory as the RSS summed over the whole process tree of
the child (the CLI, dbt and anything else they start), read from /proc every 0.1 s, so
the figures are Linux-only.  Summed RSS counts pages shared by two processes twice: it
is the pessimistic figure.  The table is printed and written, with every figure, to
<work>/bench.json; docs/performance.md explains the phases.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
BIN = Path(sys.executable).parent
CACHE_ENV = "FUNNELCAST_BENCH_CACHE"
DEFAULT_CACHE_ROOT = Path.home() / ".cache" / "funnelcast" / "bench"
# A work folder holding this file was made by the benchmark and may be wiped by it.
WORK_MARKER = ".funnelcast-bench"
SAMPLE_SECONDS = 0.1
GB = 1024 ** 3
RSS_TARGET_GB = 4.0
GENERATOR_TARGET_GB = 1.0

# Step keys of the weekly_refresh job (orchestration/): raw/<kind> assets are raw__<kind>.
INGEST_STEP_PREFIX = "raw__"
VOCABULARY_STEP = "vocabularies"
PUBLISH_STEP = "published__marts_file"


# ----------------------------------------------------------------------------- memory


PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def process_table() -> dict[int, tuple[int, int]]:
    """{pid: (parent pid, RSS bytes)} of every process, from /proc/<pid>/stat."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # the process ended while the table was read
            continue
        # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
        fields = stat[stat.rindex(b")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[21]) * PAGE_BYTES)
    return table


def tree_rss(root: int) -> int:
    """RSS summed over `root` and all its descendants."""
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(children.get(pid, []))
    return total


class TreeMemory(threading.Thread):
    """Samples the RSS of a process tree every SAMPLE_SECONDS until stopped: (time, bytes)."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.samples: list[tuple[float, int]] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.samples.append((time.time(), tree_rss(self.root)))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def peak(self, windows: list[tuple[float, float]] | None = None) -> int | None:
        """The largest sample within any of `windows` (all samples when None); a window too
        short to hold a sample takes the sample nearest to it."""
        if not self.samples:
            return None
        if windows is None:
            return max(rss for _, rss in self.samples)
        found = [self._peak_in(start, end) for start, end in windows]
        return max(found) if found else None

    def _peak_in(self, start: float, end: float) -> int:
        inside = [rss for t, rss in self.samples if start <= t <= end]
        if inside:
            return max(inside)
        middle = (start + end) / 2
        return min(self.samples, key=lambda s: abs(s[0] - middle))[1]


@dataclass
class Measured:
    """A child process run to its end: its wall window, exit code and memory samples."""

    started: float
    ended: float
    returncode: int
    memory: TreeMemory

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def run_measured(cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run `cmd` with its output in `log`, sampling the memory of its process tree."""
    with open(log, "w") as out:
        started = time.time()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        memory = TreeMemory(child.pid)
        memory.start()
        returncode = child.wait()
        ended = time.time()
        memory.stop()
    return Measured(started, ended, returncode, memory)


def checked(measured: Measured, what: str, log: Path) -> Measured:
    if measured.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        sys.exit(f"{what} failed (exit {measured.returncode}); the end of {log}:\n" + "\n".join(tail))
    return measured


# ----------------------------------------------------------------------------- figures


@dataclass
class Phase:
    """One row of the table: a phase's seconds, rows per second (when rows apply) and peak RSS."""

    name: str
    seconds: float | None
    rows: int | None = None
    peak_rss: int | None = None

    @property
    def rows_per_second(self) -> float | None:
        if self.rows is None or not self.seconds:
            return None
        return self.rows / self.seconds


@dataclass
class Figures:
    phases: list[Phase] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, seconds: float | None, rows: int | None = None, peak_rss: int | None = None) -> None:
        self.phases.append(Phase(name, seconds, rows, peak_rss))

    def seconds(self, name: str) -> float | None:
        return next((p.seconds for p in self.phases if p.name == name), None)

    def peak(self, name: str) -> int | None:
        return next((p.peak_rss for p in self.phases if p.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {"phases": [{**asdict(p), "rows_per_second": p.rows_per_second} for p in self.phases], **self.extra}


# ----------------------------------------------------------------------------- sample exports


def default_cache(scale: str, seed: int) -> Path:
    return Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV) else DEFAULT_CACHE_ROOT / f"{scale}-seed{seed}"


def generator_file(cache: Path) -> Path:
    return cache.with_name(cache.name + ".generator.json")


def ensure_sample_exports(cache: Path, scale: str, seed: int) -> dict[str, Any]:
    """The drops in `cache`, generated the first time; the generator's figures (None when
    the cache was made by something else)."""
    from ingest.drops import find_drops

    if find_drops(cache):
        figures = generator_file(cache)
        return json.loads(figures.read_text()) if figures.exists() else {"seconds": None, "peak_rss": None,
                                                                          "note": f"{cache} was not generated by bench"}
    # Written beside, renamed when complete: an interrupted generation is never taken as the cache.
    partial = cache.with_name(cache.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    log = cache.with_name(cache.name + ".generator.log")
    print(f"generating the {scale} sample exports (seed {seed}) into {cache} (once; cached)...", flush=True)
    measured = checked(run_measured([str(BIN / "funnelcast"), "generate", "--out", str(partial), "--scale", scale,
                                     "--seed", str(seed), "--quiet"], log), "funnelcast generate", log)
    partial.rename(cache)
    figures = {"scale": scale, "seed": seed, "seconds": measured.seconds, "peak_rss": measured.memory.peak(),
               "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    generator_file(cache).write_text(json.dumps(figures, indent=2))
    return figures


# ----------------------------------------------------------------------------- the work folder


@dataclass(frozen=True)
class Work:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def config(self) -> Path:
        return self.root / "funnelcast.yaml"

    @property
    def build_db(self) -> Path:
        return self.root / "warehouse" / "build.duckdb"

    @property
    def floor_dir(self) -> Path:
        return self.root / "floor"


def fresh_work(root: Path) -> Work:
    """An empty work folder with a settings file naming its own landing, build and published files."""
    if root.exists() and any(root.iterdir()):
        if not (root / WORK_MARKER).exists():
            sys.exit(f"{root} is not empty and was not made by the benchmark: choose another --work folder")
        shutil.rmtree(root)
    work = Work(root)
    for folder in (root, work.landing, work.dagster_home, work.floor_dir):
        folder.mkdir(parents=True, exist_ok=True)
    (root / WORK_MARKER).touch()
    work.config.write_text(
        "# Written by scripts/bench.py: the benchmark's own files, nothing of the checkout's.\n"
        f"landing_dir: {work.landing}\nbuild_db: {work.build_db}\n"
        f"published_db: {root / 'warehouse' / 'published.duckdb'}\n"
    )
    return work


def link_drops(cache: Path, landing: Path, drops: list[str]) -> None:
    for drop in drops:
        (landing / drop).symlink_to(cache / drop, target_is_directory=True)


# ----------------------------------------------------------------------------- one refresh


def settle_disk() -> None:
    """Before each measured run: the writes of what ran before it on disk (os.sync).

    A full refresh leaves gigabytes of the build file in the page cache, still to be written;
    the first fsync of the run after it (DuckDB's checkpoints) would wait for all of them, so
    the delta paid for the full refresh's writes.  A weekly run comes a week after the last
    one.  The files stay in the page cache: every run reads them warm, as before."""
    os.sync()


def refresh(work: Work, name: str) -> tuple[Measured, str]:
    """`funnelcast run` on the work folder, measured; the Dagster run id."""
    env = {**os.environ, "DAGSTER_HOME": str(work.dagster_home)}
    env.pop("FUNNELCAST_CONFIG", None)
    log = work.root / f"{name}.out"
    print(f"{name} refresh: funnelcast run ...", flush=True)
    settle_disk()
    measured = checked(run_measured([str(BIN / "funnelcast"), "run", "--config", str(work.config)], log,
                                    env=env, cwd=work.root), f"the {name} refresh", log)
    return measured, latest_run_id(work.dagster_home)


def latest_run_id(home: Path) -> str:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        return instance.get_runs(limit=1)[0].run_id


def step_windows(home: Path, run_id: str) -> dict[str, tuple[float, float]]:
    """{step key: (start, end)} from the run's STEP_START and STEP_SUCCESS/STEP_FAILURE events."""
    import dagster as dg

    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    starts: dict[str, float] = {}
    windows: dict[str, tuple[float, float]] = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for entry in instance.all_logs(run_id, of_type=kinds):
            if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
                starts[entry.step_key] = entry.timestamp
            else:
                windows[entry.step_key] = (starts[entry.step_key], entry.timestamp)
    return dict(sorted(windows.items(), key=lambda kv: kv[1][0]))


# The step of the dbt assets (orchestration/assets/dbt.py): the op's name.
DBT_STEP_KEY = "funnelcast_dbt_assets"


def take_run_results(run_id: str, dest: Path) -> dict[str, dict[str, Any]]:
    """{step key: run_results.json} of each dbt invocation of the run, moved to `dest`.

    Each invocation has its own target folder.  The folders are the benchmark's, so they
    are removed once their run_results.json is kept.
    """
    found: dict[str, dict[str, Any]] = {}
    # The dbt resource (orchestration/dbt_project.py) names its folders run-<run id[:8]>-<random>:
    # the run's one dbt step.
    for folder in sorted((DBT_PROJECT_DIR / "target").glob(f"run-{run_id[:8]}-*")):
        results = folder / "run_results.json"
        step = DBT_STEP_KEY
        if results.exists():
            dest.mkdir(parents=True, exist_ok=True)
            kept = dest / f"{step}.run_results.json"
            shutil.copyfile(results, kept)
            found[step] = json.loads(kept.read_text())
        shutil.rmtree(folder)
    return found


def loaded_rows(build_db: Path, since: float) -> dict[str, int]:
    """Rows loaded per kind since `since` (a Unix time), from raw.load_log."""
    import duckdb

    since_utc = datetime.fromtimestamp(since, timezone.utc).replace(tzinfo=None)
    with duckdb.connect(str(build_db), read_only=True) as con:
        return dict(con.execute("SELECT kind, sum(rows_loaded)::BIGINT FROM raw.load_log WHERE loaded_at >= $since "
                                "GROUP BY kind ORDER BY kind", {"since": since_utc}).fetchall())


def mart_row_counts(db: Path) -> dict[str, int]:
    """{relation: rows} of every table and view in the marts schema."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'marts' ORDER BY table_name").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0] for t in tables}


def node_windows(results: dict[str, Any], prefix: str) -> tuple[list[tuple[float, float]], int | None]:
    """The compile and execute windows and the rows affected of the nodes whose unique_id
    starts with `prefix` (model., test.)."""
    windows, rows = [], None
    for node in results["results"]:
        if not node["unique_id"].startswith(prefix):
            continue
        for timing in node.get("timing", []):
            if timing["name"] in ("compile", "execute") and timing.get("started_at") and timing.get("completed_at"):
                windows.append((iso_time(timing["started_at"]), iso_time(timing["completed_at"])))
        affected = (node.get("adapter_response") or {}).get("rows_affected")
        if isinstance(affected, int) and affected >= 0:
            rows = (rows or 0) + affected
    return windows, rows


def covered_seconds(windows: list[tuple[float, float]]) -> float:
    """The seconds at least one of the windows covers: with several dbt threads nodes overlap,
    so their execution times add up to more than the wall time they took."""
    seconds, current = 0.0, None
    for start, end in sorted(windows):
        if current is None or start > current[1]:
            if current is not None:
                seconds += current[1] - current[0]
            current = [start, end]
        else:
            current[1] = max(current[1], end)
    return seconds + (current[1] - current[0] if current is not None else 0.0)


def iso_time(text: str) -> float:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def refresh_figures(work: Work, measured: Measured, run_id: str, name: str) -> Figures:
    """The phases of one refresh: start-up, each step (dbt split into models and tests), the rest."""
    steps = step_windows(work.dagster_home, run_id)
    dbt_runs = take_run_results(run_id, work.root / f"dbt-{name}")
    rows = loaded_rows(work.build_db, measured.started)
    memory = measured.memory
    figures = Figures()
    first_step = min((start for start, _ in steps.values()), default=measured.ended)
    figures.add("start-up", first_step - measured.started, peak_rss=memory.peak([(measured.started, first_step)]))
    ingest = {k: w for k, w in steps.items() if k.startswith(INGEST_STEP_PREFIX)}
    for key, (start, end) in ingest.items():
        kind = key[len(INGEST_STEP_PREFIX):]
        figures.add(f"ingest {kind}", end - start, rows.get(kind, 0), memory.peak([(start, end)]))
    figures.add("ingest (all kinds)", sum(e - s for s, e in ingest.values()), sum(rows.values()),
                memory.peak(list(ingest.values())))
    for key, (start, end) in steps.items():
        if key in ingest:
            continue
        if key in dbt_runs:
            add_dbt_phases(figures, dbt_runs[key], (start, end), memory)
        elif key == VOCABULARY_STEP:
            figures.add("vocabularies", end - start, peak_rss=memory.peak([(start, end)]))
        elif key == PUBLISH_STEP:
            figures.add("publish", end - start, peak_rss=memory.peak([(start, end)]))
        else:
            figures.add(f"step {key}", end - start, peak_rss=memory.peak([(start, end)]))
    in_steps = sum(end - start for start, end in steps.values())
    figures.add("between steps, shut-down", measured.ended - first_step - in_steps)
    figures.add("total", measured.seconds, peak_rss=memory.peak())
    # The machine may be shared: the 1-minute load average after the run says how busy it was.
    figures.extra = {"run_id": run_id, "steps": steps, "rows_loaded": rows, "load_average_after": os.getloadavg()[0]}
    return figures


def add_dbt_phases(figures: Figures, results: dict[str, Any], window: tuple[float, float], memory: TreeMemory) -> None:
    start, end = window
    figures.add("dbt step (wall)", end - start, peak_rss=memory.peak([window]))
    # Wall-clock shares of the step, which add up to it whatever the number of dbt threads:
    # the seconds a model was being compiled or run, the seconds only tests were, the rest.
    model_windows, model_rows = node_windows(results, "model.")
    test_windows, test_rows = node_windows(results, "test.")
    model_seconds = covered_seconds(model_windows)
    node_seconds = covered_seconds(model_windows + test_windows)
    figures.add("dbt models", model_seconds, model_rows, memory.peak(model_windows) if model_windows else None)
    figures.add("dbt tests (no model running)", node_seconds - model_seconds, test_rows,
                memory.peak(test_windows) if test_windows else None)
    figures.add("dbt other (start, parse, events)", (end - start) - node_seconds)


# ----------------------------------------------------------------------------- the floor


def compile_models(work: Work, floor_db: Path) -> Path:
    """`dbt compile` against the empty floor file (is_incremental() is false); its manifest."""
    from funnelcast.settings import BUILD_DB_ENV, load_settings

    target = work.floor_dir / "target"
    settings = load_settings(work.config)
    # The settings' dbt environment (profiles.yml has no defaults), pointed at the floor's file.
    env = {**os.environ, **settings.dbt_env(), BUILD_DB_ENV: str(floor_db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    log = work.floor_dir / "compile.out"
    print("floor: dbt compile ...", flush=True)
    cmd = [str(BIN / "dbt"), "compile", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(work.floor_dir / "logs"),
           "--vars", json.dumps(settings.dbt_vars(), sort_keys=True)]
    checked(run_measured(cmd, log, env=env, cwd=DBT_PROJECT_DIR), "dbt compile", log)
    # The models read the build record (macros/incremental.sql), which dbt's on-run-start
    # hook creates; the floor runs no hooks, so it gets the empty table from the same macro.
    record = [str(BIN / "dbt"), "run-operation", "create_build_record_table", "--project-dir", str(DBT_PROJECT_DIR),
              "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work.floor_dir / "target_build_record"),
              "--log-path", str(work.floor_dir / "logs")]
    checked(run_measured(record, log.with_name("build_record.out"), env=env, cwd=DBT_PROJECT_DIR),
            "dbt run-operation create_build_record_table", log.with_name("build_record.out"))
    return target / "manifest.json"


def floor(work: Work, cache: Path, drops: list[str]) -> tuple[Figures, Path]:
    """The floor in its own process (its RSS is its own): a plain load, then the compiled models."""
    floor_db = work.floor_dir / "floor.duckdb"
    manifest = compile_models(work, floor_db)
    landing = work.floor_dir / "landing"
    landing.mkdir()
    link_drops(cache, landing, drops)  # the drops the full refresh loaded
    report = work.floor_dir / "floor.json"
    log = work.floor_dir / "floor.out"
    print("floor: plain load and compiled SQL in one DuckDB connection ...", flush=True)
    settle_disk()
    measured = checked(run_measured([sys.executable, __file__, "floor-run", "--db", str(floor_db), "--manifest",
                                     str(manifest), "--landing", str(landing), "--config", str(work.config),
                                     "--out", str(report)], log), "the floor", log)
    marks = json.loads(report.read_text())
    memory = measured.memory
    figures = Figures()
    for kind, (start, end, rows) in marks["kinds"].items():
        figures.add(f"load {kind}", end - start, rows, memory.peak([(start, end)]))
    load = [(s, e) for s, e, _ in marks["kinds"].values()] + [tuple(marks["vocabularies"])]
    figures.add("load (all kinds, vocabularies)", sum(e - s for s, e in load),
                sum(r for _, _, r in marks["kinds"].values()), memory.peak(load))
    start, end = marks["models"]
    figures.add("models", end - start, peak_rss=memory.peak([(start, end)]))
    figures.add("total (load + models)", sum(e - s for s, e in load) + end - start)
    figures.add("process (with start-up)", measured.seconds, peak_rss=memory.peak())
    figures.extra = {"model_seconds": marks["model_seconds"], "hooks_skipped": marks["hooks_skipped"],
                     "load_average_after": os.getloadavg()[0]}
    return figures, floor_db


def floor_run(db: Path, manifest_path: Path, landing: Path, config: Path, out: Path) -> None:
    """The floor itself (`bench.py floor-run`): no dbt and no Dagster are imported here."""
    import duckdb

    from funnelcast.settings import load_settings
    from ingest.load import ensure_raw_schema

    settings = load_settings(config)
    # The refresh's DuckDB settings (memory_limit, threads, temp_directory): the same budget.
    con = duckdb.connect(str(db), config={**settings.duckdb_config(), "temp_directory": str(db.parent / "duckdb_tmp")})
    marks: dict[str, Any] = {"kinds": {}}
    ensure_raw_schema(con)  # raw.<kind> with the contract's columns and the loader's bookkeeping columns
    for kind in raw_kinds():
        start = time.time()
        rows = plain_load(con, landing, kind, settings)
        marks["kinds"][kind] = (start, time.time(), rows)
    start = time.time()
    plain_load_vocabularies(con, settings)
    marks["vocabularies"] = (start, time.time())
    start = time.time()
    marks["model_seconds"], marks["hooks_skipped"] = run_models(con, json.loads(manifest_path.read_text()))
    marks["models"] = (start, time.time())
    con.close()
    out.write_text(json.dumps(marks))


def raw_kinds() -> list[str]:
    from ingest.contract import FILE_KINDS

    return [k.name for k in FILE_KINDS]


def plain_load(con, landing: Path, kind_name: str, settings) -> int:
    """Every file of the kind, typed by the contract, with the loader's bookkeeping columns.

    One read_csv per header (files of one header together), its columns given, not sniffed:
    sniffing costs more than reading a weekly file.  _line is the record's ordinal in its
    file plus one (the header): DuckDB's CSV reader has no row-number column, and the
    generated files hold one record per line.  The mapping must give the files the
    contract's column names (sugarcrm, the generator's).
    """
    from ingest.drops import find_files

    mapping = settings.load_mapping()
    files = [f.path for f in find_files(landing, kind_name, mapping, settings.drop_name_pattern)]
    if any(f.name.lower().endswith(".parquet") for f in files):
        raise SystemExit(f"the floor reads CSV only; {kind_name} has parquet files")
    snapshot = "true" if mapping.kinds[kind_name].snapshot else "false"
    for header, group in files_by_header(files).items():
        con.execute(
            f"""
            INSERT INTO raw.{kind_name} BY NAME
            SELECT {', '.join(f'"{c}"' for c in header if c in contract_types(kind_name))},
                regexp_extract(filename, '([^/]+)/[^/]+$', 1) AS _drop,
                regexp_extract(filename, '[^/]+$') AS _file,
                row_number() OVER (PARTITION BY filename) + 1 AS _line,
                timezone('UTC', now()) AS _loaded_at,
                {snapshot} AS _snapshot
            FROM read_csv($files, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                          filename = true, columns = {csv_columns(kind_name, header)})
            """,
            {"files": [str(f) for f in group]},
        )
    return con.execute(f"SELECT count(*) FROM raw.{kind_name}").fetchone()[0]


def files_by_header(files: list[Path]) -> dict[tuple[str, ...], list[Path]]:
    import csv
    import gzip

    groups: dict[tuple[str, ...], list[Path]] = {}
    for path in files:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as f:
            header = tuple(next(csv.reader(f), []))
        groups.setdefault(header, []).append(path)
    return groups


def contract_types(kind_name: str) -> dict[str, str]:
    from ingest.contract import KINDS

    return {c.name: c.duckdb_type for c in KINDS[kind_name].columns}


def csv_columns(kind_name: str, header: tuple[str, ...]) -> str:
    """read_csv's columns: the header's names in file order, typed by the contract (others as text)."""
    types = contract_types(kind_name)
    return "{" + ", ".join(f"'{name}': '{types.get(name, 'VARCHAR')}'" for name in header) + "}"


def plain_load_vocabularies(con, settings) -> None:
    """vocabulary.<name> from the files in force, typed by the contract (no checks)."""
    from ingest.contract import VOCABULARIES

    con.execute("CREATE SCHEMA IF NOT EXISTS vocabulary")
    files = settings.vocabulary_files()
    for vocab in VOCABULARIES:
        types = "{" + ", ".join(f"'{c.name}': '{c.duckdb_type}'" for c in vocab.columns) + "}"
        con.execute(f"CREATE OR REPLACE TABLE vocabulary.{vocab.name} AS SELECT {', '.join(vocab.column_names)} "
                    f"FROM read_csv($path, header = true, types = {types})", {"path": str(files[vocab.name])})


def model_order(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The models and seeds of the manifest in dependency order (ephemeral ones included: dbt
    inlined them, they only carry the order through)."""
    nodes = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")}
    graph = graphlib.TopologicalSorter({k: [d for d in n["depends_on"]["nodes"] if d in nodes] for k, n in nodes.items()})
    return [nodes[k] for k in graph.static_order()]


def run_models(con, manifest: dict[str, Any]) -> tuple[dict[str, float], int]:
    """Each model's compiled SQL as `create table` or `create view` per its materialization;
    {model: seconds} and how many pre/post-hooks were left out (dbt renders them at run time)."""
    seconds: dict[str, float] = {}
    hooks = 0
    for node in model_order(manifest):
        materialized = node["config"]["materialized"]
        if materialized == "ephemeral":
            continue
        hooks += len(node["config"].get("pre-hook") or []) + len(node["config"].get("post-hook") or [])
        relation = node["relation_name"]
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {relation.rsplit('.', 1)[0]}")
        start = time.perf_counter()
        if node["resource_type"] == "seed":
            seed = DBT_PROJECT_DIR / node["original_file_path"]
            con.execute(f"CREATE TABLE {relation} AS SELECT * FROM read_csv($path, header = true)", {"path": str(seed)})
        else:
            sql = node["compiled_code"].strip().rstrip(";")
            what = "VIEW" if materialized == "view" else "TABLE"  # table and incremental (a first build)
            con.execute(f"CREATE {what} {relation} AS {sql}")
        seconds[node["unique_id"]] = time.perf_counter() - start
    return seconds, hooks


# ----------------------------------------------------------------------------- the table


def gb(value: int | None) -> str:
    return "" if value is None else f"{value / GB:.2f}"


def cell(phase: Phase | None) -> str:
    if phase is None:
        return f"{'':>8} {'':>10} {'':>7}"
    seconds = "" if phase.seconds is None else f"{phase.seconds:.1f}"
    rate = "" if phase.rows_per_second is None else f"{phase.rows_per_second:,.0f}"
    return f"{seconds:>8} {rate:>10} {gb(phase.peak_rss):>7}"


def table(full: Figures, delta: Figures, floor_figures: Figures) -> list[str]:
    header = f"{'':>8} {'rows/s':>10} {'peak GB':>7}"
    lines = [f"{'phase':<34} | {'full refresh':^27} | {'delta (one drop)':^27}",
             f"{'':<34} | {'s':>8} {header[9:]} | {'s':>8} {header[9:]}"]
    names = list(dict.fromkeys([p.name for p in full.phases] + [p.name for p in delta.phases]))
    by_name = lambda figures, name: next((p for p in figures.phases if p.name == name), None)  # noqa: E731
    for name in names:
        lines.append(f"{name:<34} | {cell(by_name(full, name))} | {cell(by_name(delta, name))}")
    lines += ["", f"{'floor (one DuckDB connection)':<34} | {'s':>8} {header[9:]}"]
    lines += [f"{p.name:<34} | {cell(p)}" for p in floor_figures.phases]
    return lines


def ratios(full: Figures, delta: Figures, floor_figures: Figures, generator: dict[str, Any]) -> dict[str, Any]:
    full_s, delta_s = full.seconds("total"), delta.seconds("total")
    floor_s = floor_figures.seconds("total (load + models)")
    return {
        "delta_over_full": delta_s / full_s,
        "full_over_floor": full_s / floor_s,
        "full_peak_rss_gb": full.peak("total") / GB,
        "delta_peak_rss_gb": delta.peak("total") / GB,
        "generator_peak_rss_gb": None if generator.get("peak_rss") is None else generator["peak_rss"] / GB,
    }


def ratio_lines(r: dict[str, Any]) -> list[str]:
    generator = ("not measured (the cache was not generated by bench)" if r["generator_peak_rss_gb"] is None
                 else f"{r['generator_peak_rss_gb']:.2f} GB (target <= {GENERATOR_TARGET_GB:.0f} GB)")
    return [
        f"delta / full refresh:      {r['delta_over_full']:.2f}x (target <= 0.2x)",
        f"full refresh / floor:      {r['full_over_floor']:.2f}x (target <= 2x)",
        f"peak RSS of full refresh:  {r['full_peak_rss_gb']:.2f} GB (target <= {RSS_TARGET_GB:.0f} GB); "
        f"delta {r['delta_peak_rss_gb']:.2f} GB",
        f"peak RSS of the generator: {generator}",
    ]


# ----------------------------------------------------------------------------- main


def bench(scale: str, seed: int, cache: Path, work_root: Path) -> dict[str, Any]:
    from ingest.drops import find_drops

    generator = ensure_sample_exports(cache, scale, seed)
    drops = find_drops(cache)
    if len(drops) < 2:
        sys.exit(f"{cache} holds {len(drops)} drop(s): a full refresh and a delta need at least two")
    work = fresh_work(work_root)
    summary: dict[str, Any] = {"scale": scale, "seed": seed, "cache": str(cache), "work": str(work.root),
                               "drops": {"full": len(drops) - 1, "delta": drops[-1]}, "generator": generator,
                               "machine": machine()}
    figures_file = work.root / "bench.json"

    def keep(**figures: Any) -> None:  # written after each stage: a later failure keeps the earlier figures
        summary.update(figures)
        figures_file.write_text(json.dumps(summary, indent=2, default=str))

    link_drops(cache, work.landing, drops[:-1])
    full_run, full_id = refresh(work, "full")
    full = refresh_figures(work, full_run, full_id, "full")
    full_marts = mart_row_counts(work.build_db)
    keep(full=full.as_json(), mart_rows_full_refresh=full_marts)
    link_drops(cache, work.landing, drops[-1:])
    delta_run, delta_id = refresh(work, "delta")
    delta = refresh_figures(work, delta_run, delta_id, "delta")
    keep(delta=delta.as_json())
    floor_figures, floor_db = floor(work, cache, drops[:-1])
    # The floor runs the same SQL on the same files: its marts must have the full refresh's rows.
    keep(floor=floor_figures.as_json(), ratios=ratios(full, delta, floor_figures, generator),
         floor_marts_match_full_refresh_row_counts=mart_row_counts(floor_db) == full_marts)
    lines = table(full, delta, floor_figures) + [""] + ratio_lines(summary["ratios"])
    if not summary["floor_marts_match_full_refresh_row_counts"]:
        lines.append("note: the floor's marts differ in row counts from the full refresh's (see bench.json)")
    print("\n" + "\n".join(lines))
    print(f"\nfigures: {figures_file}")
    return summary


def machine() -> dict[str, Any]:
    import platform

    import duckdb

    memory_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal:"))
    return {"nproc": os.cpu_count(), "memory_gb": round(memory_kb / 1024 ** 2, 1), "platform": platform.platform(),
            "python": platform.python_version(), "duckdb": duckdb.__version__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache", type=Path, help=f"the sample exports' folder (default ${CACHE_ENV}, else "
                        f"{DEFAULT_CACHE_ROOT}/<scale>-seed<seed>)")
    parser.add_argument("--work", type=Path, help=f"the scratch folder, wiped first (default {DEFAULT_CACHE_ROOT}/work-<scale>)")
    parser.add_argument("--generate-only", action="store_true",
                        help="generate the cache (its time and peak RSS recorded beside it) and stop")
    floor_cmd = sub.add_parser("floor-run", help="(internal) the floor, in its own process")
    for name in ("--db", "--manifest", "--landing", "--config", "--out"):
        floor_cmd.add_argument(name, type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "floor-run":
        floor_run(args.db, args.manifest, args.landing, args.config, args.out)
        return 0
    cache = (args.cache or default_cache(args.scale, args.seed)).expanduser().resolve()
    if args.generate_only:
        print(json.dumps(ensure_sample_exports(cache, args.scale, args.seed), indent=2))
        return 0
    work = (args.work or DEFAULT_CACHE_ROOT / f"work-{args.scale}").expanduser().resolve()
    bench(args.scale, args.seed, cache, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
