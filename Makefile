# Two commands on a fresh machine: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
export DAGSTER_HOME := $(CURDIR)/dagster_home
# The environment may set PYTHONDONTWRITEBYTECODE; compiled bytecode saves every process seconds of startup.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo test bench ui lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --compile -e '.[dev]'
	$(BIN)/python -m compileall -q $(VENV)/lib > /dev/null 2>&1 || true
	@touch $(STAMP)

demo: install
	$(BIN)/payback demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench

ui: install
	$(BIN)/payback ui

lint: install
	$(BIN)/ruff check pipelines tests bench

clean:
	rm -rf data bench/data dagster_home/storage dagster_home/logs dagster_home/history dagster_home/schedules
