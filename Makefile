# Two commands set everything up on a fresh machine with Python 3.11+: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: demo test ui bench lint typecheck check clean

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

demo: $(STAMP)
	$(BIN)/salesagent demo

test: $(STAMP)
	$(BIN)/pytest

ui: $(STAMP)
	$(BIN)/salesagent ui

bench: $(STAMP)
	$(BIN)/salesagent bench

lint: $(STAMP)
	$(BIN)/ruff check salesagent_dagster salesagent_dagster_tests
	$(BIN)/ruff format --check salesagent_dagster salesagent_dagster_tests

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .dagster_home .pytest_cache .mypy_cache .ruff_cache
