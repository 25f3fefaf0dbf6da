"""Funnelcast's settings: one file, documented defaults, nothing required.

The settings are read from the YAML file named by FUNNELCAST_CONFIG, else from
./funnelcast.yaml when it exists, else the defaults below apply.  Relative paths
are resolved against the folder of the config file (or the working directory when
there is no file).  docs/configuration.md lists every setting; `funnelcast config`
prints the values in force.

They are the whole application's (schedule, paths, fiscal calendar, benchmarks) and
also carry the options of the loader, which takes them as parameters (the mapping,
the vocabulary files and `RejectPolicy`): ingest/ never reads a settings file.  A
process reads them once (`settings_in_force`) and hands that one object to the Dagster
resources, the schedule, the sensor, dbt's vars (`dbt_vars`) and dbt's environment
(`dbt_env`).  The defaults of the dbt vars are written into dbt_project.yml by
`funnelcast dbt-vars --write` (`render_dbt_project_vars`); tests/test_settings.py fails
when the two differ.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from datetime import date
from typing import Any

import yaml

from ingest.drops import DEFAULT_DROP_PATTERN

CONFIG_ENV = "FUNNELCAST_CONFIG"
DEFAULT_CONFIG_FILE = "funnelcast.yaml"
# profiles.yml names the build file by this variable (`Settings.dbt_env`).
BUILD_DB_ENV = "FUNNELCAST_BUILD_DB"
# ... and takes DuckDB's settings for dbt's connection from these (its `config_options:`).
DUCKDB_SETTING_ENVS = {
    "memory_limit": "FUNNELCAST_DUCKDB_MEMORY_LIMIT",
    "threads": "FUNNELCAST_DUCKDB_THREADS",
    "temp_directory": "FUNNELCAST_DUCKDB_TEMP_DIRECTORY",
}
# ... and how many models and tests dbt runs side by side (the profile's `threads:`).
DBT_THREADS_ENV = "FUNNELCAST_DBT_THREADS"
# A size as DuckDB's memory_limit reads it: 3GB (10^9 bytes), 2.5GiB (2^30), 512MB, or a share of RAM (50%).
MEMORY_LIMIT_PATTERN = r"\d+(\.\d+)?\s*([KMGT]i?B|B|%)"
# The folder DuckDB spills to when a query needs more than memory_limit, beside the build file.
DEFAULT_TEMP_DIRECTORY_NAME = "duckdb_tmp"
# The same dbt project on Spark (profiles.yml's `spark` target) reads raw from the Parquet folders
# the refresh writes (raw_parquet_dir) and builds into Spark's warehouse folder, both named by these.
RAW_PARQUET_DIR_ENV = "FUNNELCAST_RAW_PARQUET_DIR"
SPARK_WAREHOUSE_ENV = "FUNNELCAST_SPARK_WAREHOUSE"
# Spark's warehouse folder (its tables, the Derby metastore, dbt's files for that target), beside the build file.
DEFAULT_SPARK_WAREHOUSE_NAME = "spark-warehouse"

# Schema names analysts type; a DuckDB file of the same name would shadow them.
RESERVED_FILE_STEMS = {"marts", "raw", "staging", "intermediate", "seeds", "main"}

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def is_count(value: Any) -> bool:
    """A whole number of 1 or more, as a count of threads is.  YAML reads `true` as a bool, and
    Python's bool is an int: without the bool test `true` would pass as 1 thread."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True)
class Benchmarks:
    """The healthy ranges of docs/domain.md, as fractions."""

    mql_to_srl_low: float = 0.20
    mql_to_srl_high: float = 0.40
    srl_to_sql_low: float = 0.80
    srl_to_sql_high: float = 0.90
    win_rate_hunting: float = 0.30
    win_rate_farming: float = 0.75
    # A win rate within +/- this many points of its benchmark counts as "within".
    win_rate_tolerance: float = 0.05


@dataclass(frozen=True)
class Settings:
    landing_dir: Path = Path("landing")
    # The file the weekly run writes.  Analysts never open it (DuckDB: one writer,
    # and an open reader blocks the writer); they read the published copy.
    build_db: Path = Path("warehouse/build.duckdb")
    # Not "marts.duckdb": DuckDB names a file's catalog after it, and a catalog called
    # marts makes every `marts.<table>` an ambiguous reference.
    published_db: Path = Path("warehouse/funnelcast.duckdb")
    timezone: str = "UTC"
    schedule_cron: str = "0 6 * * 1"  # Monday 06:00, before the forecast calls
    fiscal_year_start_month: int = 1
    # "start": a year starting February 2025 is FY2025; "end": it is FY2026.
    fiscal_year_named_by: str = "start"
    week_end_day: str = "sunday"
    reporting_currency: str = "USD"
    cohort_maturity_days: int = 90
    # Weeks over which pipeline velocity and win rates are averaged (docs/domain.md: the qualified pipeline).
    pipeline_trailing_weeks: int = 13
    # Which management chain a past week of the forecast roll-up uses when users.csv versions
    # show a rep moving to another manager: "as_of_week" (the chain in force at that week end)
    # or "current" (today's chain for every week, as the CRM shows it).  docs/configuration.md.
    hierarchy_as_of: str = "as_of_week"
    # Rows that break the contract: "quarantine" keeps them in raw.rejected_rows and
    # loads the rest; "fail" fails the whole file.  Above max_rejected_share of a
    # file's rows, the file is unusable either way.
    on_bad_rows: str = "quarantine"
    max_rejected_share: float = 0.05
    # Timestamps outside this window are rejected with the reason: `infinity`, `epoch`
    # or year 9999 would otherwise win every later version comparison for ever.  Later
    # than the load by more than the days ahead (planned calls and meetings may lie ahead).
    timestamp_earliest: date = date(1990, 1, 1)
    timestamp_max_days_ahead: int = 366
    # The longest CSV record (all its fields) the reader accepts; DuckDB's own default
    # (2 MB) quarantines legal long notes.
    csv_max_record_bytes: int = 64 * 1024 * 1024
    # Drop folder names (a regular expression, matched whole): a date, optionally
    # followed by T, _, -, . or a space and a suffix (2026-11-23T0600, 2026-11-23_2).
    # Other folders are reported and not loaded: `latest` would sort after every date.
    drop_name_pattern: str = DEFAULT_DROP_PATTERN
    benchmarks: Benchmarks = field(default_factory=Benchmarks)
    # Which CRM the exports come from: a preset shipped in ingest/presets/ (sugarcrm,
    # salesforce, hubspot, zoho), or `mapping`, the path of the user's own mapping file,
    # which wins over `source`.  docs/mappings.md explains both.
    source: str = "sugarcrm"
    mapping: Path | None = None
    # A folder holding the user's own vocabularies (stage_map.csv,
    # forecast_category_map.csv, opportunity_type_map.csv); a file not there is taken
    # from the mapping (the preset's own).  `funnelcast vocabularies --copy DIR` starts one.
    vocabulary_dir: Path | None = None
    # DuckDB's own settings for every connection that writes the build file (the loader's,
    # dbt's, the publish's).  3GB (DuckDB's GB is 10^9 bytes: 2.8 GiB) bounds what DuckDB
    # buffers, so the whole refresh stays under 4 GB on a laptop (the Python process and
    # DuckDB's allocations outside its buffer pool take the rest); beyond it a query
    # spills to duckdb_temp_directory instead of growing.  DuckDB's own default is 80% of RAM.
    duckdb_memory_limit: str = "3GB"
    # None: every core this process may use.
    duckdb_threads: int | None = None
    # None: <the build file's folder>/duckdb_tmp.
    duckdb_temp_directory: Path | None = None
    # How many models and tests dbt runs at once, in its one process and its one connection to
    # the build file (DuckDB's one-writer rule is between processes; transactions of one process
    # on different tables do not conflict).  Two: while one model's query runs, dbt renders and
    # starts the next; four gave nothing more on 2 cores (docs/performance.md has the figures).
    # Every query shares duckdb_memory_limit, so memory stays bounded.
    dbt_threads: int = 2
    # When set, every refresh also writes each table dbt reads as a source (raw.<kind> and
    # vocabulary.<name>) to <dir>/<schema>/<table>/data.parquet, for the dbt project's `spark`
    # target (`funnelcast dbt build --target spark`).  None: nothing is written.
    raw_parquet_dir: Path | None = None
    # Spark's warehouse folder for the `spark` target.  None: <the build file's folder>/spark-warehouse.
    spark_warehouse_dir: Path | None = None
    # Where the settings came from, for messages; not a setting.
    config_file: str = "defaults"

    def __post_init__(self) -> None:
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise ValueError(f"fiscal_year_start_month must be 1-12, got {self.fiscal_year_start_month}")
        for db in (self.build_db, self.published_db):
            if Path(db).stem.lower() in RESERVED_FILE_STEMS:
                raise ValueError(
                    f"{db}: a DuckDB file named {Path(db).stem!r} clashes with the schema of that name "
                    f"(queries on {Path(db).stem}.<table> become ambiguous); choose another file name"
                )
        if self.on_bad_rows not in ("quarantine", "fail"):
            raise ValueError(f"on_bad_rows must be quarantine or fail, got {self.on_bad_rows!r}")
        if self.fiscal_year_named_by not in ("start", "end"):
            raise ValueError(f"fiscal_year_named_by must be start or end, got {self.fiscal_year_named_by!r}")
        if self.hierarchy_as_of not in ("as_of_week", "current"):
            raise ValueError(f"hierarchy_as_of must be as_of_week or current, got {self.hierarchy_as_of!r}")
        if self.week_end_day not in WEEKDAYS:
            raise ValueError(f"week_end_day must be one of {', '.join(WEEKDAYS)}, got {self.week_end_day!r}")
        if isinstance(self.timestamp_earliest, str):  # YAML may give the date quoted
            object.__setattr__(self, "timestamp_earliest", date.fromisoformat(self.timestamp_earliest))
        if not isinstance(self.timestamp_earliest, date):
            raise ValueError(f"timestamp_earliest must be a date (YYYY-MM-DD), got {self.timestamp_earliest!r}")
        if self.timestamp_max_days_ahead < 0:
            raise ValueError(f"timestamp_max_days_ahead must be 0 or more, got {self.timestamp_max_days_ahead}")
        if self.csv_max_record_bytes < 1024:
            raise ValueError(f"csv_max_record_bytes must be at least 1024, got {self.csv_max_record_bytes}")
        try:
            re.compile(self.drop_name_pattern)
        except re.error as exc:
            raise ValueError(f"drop_name_pattern is not a regular expression: {exc}") from exc
        if not re.fullmatch(MEMORY_LIMIT_PATTERN, str(self.duckdb_memory_limit).strip(), re.IGNORECASE):
            raise ValueError(f"duckdb_memory_limit must be a size such as 3GB, 2.5GiB, 512MB or 50%, "
                             f"got {self.duckdb_memory_limit!r}")
        if self.duckdb_threads is not None and not is_count(self.duckdb_threads):
            raise ValueError(f"duckdb_threads must be a whole number, 1 or more (or left out: every core), "
                             f"got {self.duckdb_threads!r}")
        if not is_count(self.dbt_threads):
            raise ValueError(f"dbt_threads must be a whole number, 1 or more, got {self.dbt_threads!r}")
        if len(self.reporting_currency) != 3:
            raise ValueError(f"reporting_currency must be an ISO 4217 code, got {self.reporting_currency!r}")

    def load_mapping(self) -> "Mapping":
        """The mapping in force: the user's file when `mapping` is set, else the preset `source`."""
        from ingest.mapping import load_mapping, load_preset

        return load_mapping(self.mapping) if self.mapping is not None else load_preset(self.source)

    def vocabulary_files(self) -> dict[str, Path]:
        """The vocabulary file in force for each vocabulary: the user's folder first, then the mapping's."""
        from ingest.vocabularies import vocabulary_files

        return vocabulary_files(self.load_mapping(), self.vocabulary_dir)

    def reject_policy(self) -> "RejectPolicy":
        from ingest.load import RejectPolicy

        return RejectPolicy(
            self.on_bad_rows, self.max_rejected_share, timestamp_earliest=self.timestamp_earliest,
            timestamp_max_days_ahead=self.timestamp_max_days_ahead, csv_max_record_bytes=self.csv_max_record_bytes,
            drop_name_pattern=self.drop_name_pattern,
        )

    def dbt_vars(self) -> dict[str, Any]:
        """The settings the dbt models read, passed as `dbt build --vars` (their defaults are in dbt_project.yml)."""
        b = self.benchmarks
        return {
            "reporting_currency": self.reporting_currency,
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "fiscal_year_named_by": self.fiscal_year_named_by,
            "week_end_day": self.week_end_day,
            "cohort_maturity_days": self.cohort_maturity_days,
            "pipeline_trailing_weeks": self.pipeline_trailing_weeks,
            "hierarchy_as_of": self.hierarchy_as_of,
            "benchmark_mql_to_srl_low": b.mql_to_srl_low,
            "benchmark_mql_to_srl_high": b.mql_to_srl_high,
            "benchmark_srl_to_sql_low": b.srl_to_sql_low,
            "benchmark_srl_to_sql_high": b.srl_to_sql_high,
            "benchmark_win_rate_hunting": b.win_rate_hunting,
            "benchmark_win_rate_farming": b.win_rate_farming,
            "benchmark_win_rate_tolerance": b.win_rate_tolerance,
        }

    def duckdb_config(self) -> dict[str, str]:
        """DuckDB's settings for a connection to the build file: `duckdb.connect(config=...)`
        (orchestration/resources.py) and, through `dbt_env`, dbt's profile."""
        temp_directory = self.duckdb_temp_directory or Path(self.build_db).parent / DEFAULT_TEMP_DIRECTORY_NAME
        return {
            "memory_limit": str(self.duckdb_memory_limit).strip(),
            "threads": str(self.duckdb_threads or available_cores()),
            "temp_directory": str(temp_directory),
        }

    def spark_warehouse(self) -> Path:
        """Spark's warehouse folder in force (absolute): `spark_warehouse_dir`, else beside the build file."""
        folder = self.spark_warehouse_dir or Path(self.build_db).parent / DEFAULT_SPARK_WAREHOUSE_NAME
        return Path(folder).absolute()

    def dbt_env(self) -> dict[str, str]:
        """The environment variables dbt_project/profiles.yml reads, for every dbt invocation: the
        `dev` target's build file, DuckDB settings and dbt threads, and the `spark` target's warehouse folder and
        (when `raw_parquet_dir` is set) the folder of raw's Parquet copies."""
        duckdb_settings = self.duckdb_config()
        env = {BUILD_DB_ENV: str(self.build_db),
               **{env: duckdb_settings[name] for name, env in DUCKDB_SETTING_ENVS.items()},
               DBT_THREADS_ENV: str(self.dbt_threads),
               SPARK_WAREHOUSE_ENV: str(self.spark_warehouse())}
        if self.raw_parquet_dir is not None:
            env[RAW_PARQUET_DIR_ENV] = str(Path(self.raw_parquet_dir).absolute())
        return env

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (str(v) if isinstance(v, (Path, date)) else v) for k, v in d.items()}


_PATH_SETTINGS = {"landing_dir", "build_db", "published_db", "mapping", "vocabulary_dir", "duckdb_temp_directory",
                  "raw_parquet_dir", "spark_warehouse_dir"}


def available_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def settings_file(path: Path | str | None = None) -> Path | None:
    """The settings file that applies: `path`, else FUNNELCAST_CONFIG, else ./funnelcast.yaml when it
    exists; None when the defaults apply."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = os.environ[CONFIG_ENV]
    if path is None and Path(DEFAULT_CONFIG_FILE).exists():
        path = DEFAULT_CONFIG_FILE
    return None if path is None else Path(path)


_chosen_file: Path | None = None
_in_force: dict[tuple[str, str], Settings] = {}


def choose_settings_file(path: Path | str) -> None:
    """Make `path` this process's settings file (`funnelcast run --config`), before anything reads them."""
    global _chosen_file
    _chosen_file = Path(path).resolve()


def settings_in_force() -> Settings:
    """This process's settings: read from their file on first use, the same object after.

    The code location (orchestration/definitions.py), its resources, the sensor and every
    asset description take this one object.  It is kept per settings file, so a process
    whose FUNNELCAST_CONFIG names another file (as the tests do) reads that one once.
    """
    path = settings_file(_chosen_file)
    key = (str(path.resolve()) if path else "defaults", str(Path.cwd()))
    if key not in _in_force:
        _in_force[key] = load_settings(path)
    return _in_force[key]


def load_settings(path: Path | str | None = None) -> Settings:
    """Read the settings file (see the module docstring for where it is looked for)."""
    path = settings_file(path)
    if path is None:
        return _resolve(Settings(), Path.cwd())

    if not path.exists():
        raise FileNotFoundError(f"config file {path} does not exist (named by {CONFIG_ENV} or the command line)")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    known = {f.name for f in fields(Settings)} - {"config_file"}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    values = dict(raw)
    if "benchmarks" in values:
        bench = values["benchmarks"] or {}
        bad = set(bench) - {f.name for f in fields(Benchmarks)}
        if bad:
            raise ValueError(f"{path}: unknown benchmark(s) {', '.join(sorted(bad))}")
        values["benchmarks"] = Benchmarks(**bench)
    for name in _PATH_SETTINGS & set(values):
        values[name] = Path(values[name])
    settings = Settings(**values, config_file=str(path.resolve()))
    return _resolve(settings, path.resolve().parent)


def _resolve(settings: Settings, base: Path) -> Settings:
    resolved = {
        name: (getattr(settings, name) if getattr(settings, name).is_absolute() else base / getattr(settings, name))
        for name in _PATH_SETTINGS
        if getattr(settings, name) is not None
    }
    return Settings(**{**{f.name: getattr(settings, f.name) for f in fields(Settings)}, **resolved})


# ----------------------------------------------------------------------------- dbt_project.yml vars


def dbt_var_text(value: Any) -> str:
    """A var's default as dbt_project.yml writes it (0.20, not 0.2: the benchmarks read as fractions)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}" if float(f"{value:.2f}") == value else repr(value)
    return str(value)


def render_dbt_project_vars(dbt_project_yml: str, defaults: dict[str, Any] | None = None) -> str:
    """dbt_project.yml with each settings var's default (`Settings().dbt_vars()`) written in place.

    Only the value of each settings var's line in the `vars:` block changes; the other
    vars (not settings, e.g. hierarchy_max_depth) and the comments stay as written.
    """
    defaults = Settings().dbt_vars() if defaults is None else defaults
    lines = dbt_project_yml.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "vars:"), None)
    if start is None:
        raise ValueError("dbt_project.yml has no top-level `vars:` block")
    missing = set(defaults)
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line.startswith((" ", "#")):
            break  # the next top-level key: the vars block is over
        found = re.match(r"^(\s+)([a-z_0-9]+):", line)
        if found and found.group(2) in defaults:
            name = found.group(2)
            lines[i] = f"{found.group(1)}{name}: {dbt_var_text(defaults[name])}\n"
            missing.discard(name)
    if missing:
        raise ValueError(f"dbt_project.yml vars lack the setting(s) {', '.join(sorted(missing))}: add a line for each")
    return "".join(lines)


def dbt_var_drift(dbt_project_yml: str) -> dict[str, tuple[Any, Any]]:
    """{var: (dbt_project.yml default, settings default)} for every settings var whose defaults differ."""
    declared = (yaml.safe_load(dbt_project_yml) or {}).get("vars") or {}
    missing = object()
    return {
        name: (declared.get(name, "(missing)"), default)
        for name, default in Settings().dbt_vars().items()
        if declared.get(name, missing) != default
    }
