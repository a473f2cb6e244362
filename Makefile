# Fil rouge — the commands the README names.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint typecheck format worker api bench bench-intake bench-faults compose-check clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the whole system on embedded defaults (Temporal dev server, SQLite, SMTP sink, worker, API, demo data).
run: $(STAMP)
	$(BIN)/filrouge dev

worker: $(STAMP)
	$(BIN)/filrouge worker

api: $(STAMP)
	$(BIN)/filrouge api

## Lint, type-check and run the whole test suite against real servers.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

## Intake benchmark: a 20,000-row synthetic list on the embedded stack -> bench/results/intake.json.
bench-intake: $(STAMP)
	$(BIN)/python -m bench.intake

## Fault trials: SIGKILL the worker 21 times (import, timers, API burst), an SMTP outage and a
## Temporal restart; nothing lost or doubled -> bench/results/faults.json (about 8 min).
bench-faults: $(STAMP)
	$(BIN)/python -m bench.faults

## Every benchmark of the project, one after the other.
bench: bench-intake bench-faults

compose-check:
	SECURITY_SECRET_KEY=ci-dummy docker-compose -f docker-compose.yml config -q

clean:
	rm -rf data/ .pytest_cache .mypy_cache .ruff_cache
