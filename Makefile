# Two commands set everything up on a fresh machine with Python 3.11+: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: demo test ui bench lint typecheck check clean dbt-parse

# The venv is rebuilt whenever the pinned files change; uv if present, else pip.
$(STAMP): pyproject.toml constraints.txt
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@if command -v uv >/dev/null 2>&1; then \
		uv pip install --python $(BIN)/python -c constraints.txt -e '.[dev]'; \
	else \
		$(BIN)/python -m pip install --quiet --upgrade pip && \
		$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'; \
	fi
	@touch $(STAMP)

# dbt_outreach's manifest, prepared at build time (never when the code location loads): the
# analytics definitions read it, and say to run `make dbt-parse` when it is missing.
DBT_PROJECT := dbt_outreach
MANIFEST := $(DBT_PROJECT)/target/manifest.json
$(MANIFEST): $(STAMP) $(DBT_PROJECT)/dbt_project.yml $(DBT_PROJECT)/profiles.yml \
		$(shell find $(DBT_PROJECT)/models -type f 2>/dev/null)
	$(BIN)/dbt parse --quiet --project-dir $(DBT_PROJECT) --profiles-dir $(DBT_PROJECT) \
		--target-path target
	@touch $(MANIFEST)

dbt-parse: $(MANIFEST)

demo: $(STAMP) $(MANIFEST)
	$(BIN)/salesagent demo

# A module's tests stay on one worker in order (--dist loadscope: they share module fixtures).
# A crashed worker ends the run at once: replacing it under loadscope can deadlock the session
# until CI's time limit (pytest-xdist issue 1378), which says less than the crash itself.
test: $(STAMP) $(MANIFEST)
	$(BIN)/pytest -n auto --dist loadscope --max-worker-restart=0

ui: $(STAMP) $(MANIFEST)
	$(BIN)/salesagent ui

bench: $(STAMP) $(MANIFEST)
	$(BIN)/salesagent bench

lint: $(STAMP)
	$(BIN)/ruff check salesagent_dagster salesagent_dagster_tests
	$(BIN)/ruff format --check salesagent_dagster salesagent_dagster_tests

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .dagster_home .pytest_cache .mypy_cache .ruff_cache
