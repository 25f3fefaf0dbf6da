# Funnelcast: `make demo` (set up, generate sample exports, run the weekly refresh, write the report) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml
DEMO_SCALE ?= medium
export DAGSTER_HOME ?= $(CURDIR)/.dagster
# The browser test drives Debian's chromium (Playwright's own browser download cannot be reached).
CHROMIUM := /usr/bin/chromium
# The Spark lane (tests/test_spark.py, `funnelcast dbt build --target spark`) needs a Java runtime:
# Debian's openjdk-17-jre-headless when there is no `java` on PATH.
JAVA := $(shell command -v java || echo /usr/bin/java)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test bench ui docs clean java

setup: $(INSTALLED) $(MANIFEST)

# A fresh machine has only Python and make: the venv gets the exact versions of requirements.lock.
$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[test,spark]"
	touch $@

# The dbt manifest is prepared once here, not when Dagster imports the code location.
# profiles.yml reads the build file's path from the environment the settings give dbt; the
# settings' vars are passed as every run passes them, so the runs reuse this parse.
$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	$(BIN)/funnelcast dbt-parse
	touch $@

demo: setup
	@test -d landing || $(BIN)/funnelcast generate --out landing --scale $(DEMO_SCALE) --quiet
	$(BIN)/funnelcast run
	@$(BIN)/python -m orchestration.demo_summary

# Installed once: make skips this when the executable is there.
$(CHROMIUM):
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends chromium

# Installed once, likewise: skipped when a `java` is on PATH.
$(JAVA):
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends openjdk-17-jre-headless

java: $(JAVA)

# Two pytest workers (pytest-xdist), each test file on one of them so that its module fixtures are
# built once: most of the suite waits on one single-threaded process at a time (dbt's parse, Dagster's
# steps, Spark's driver), so a second worker fills the second core. `make test TEST_WORKERS=0` runs
# the suite in one process.
TEST_WORKERS ?= 2

test: setup $(CHROMIUM) $(JAVA)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

# Figures only (docs/performance.md): `make bench BENCH_ARGS="--scale medium"` for a quicker run.
bench: setup
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

ui: setup
	$(BIN)/funnelcast ui

docs: setup
	$(BIN)/funnelcast docs

clean:
	rm -rf landing warehouse .dagster dbt_project/target dbt_project/logs
