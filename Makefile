# Fil rouge — the commands the README names.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The packages are installed by uv (pinned, itself installed by the venv's pip): 14 s on a clean
# clone here against pip's 39 s, the same versions.
UV     := uv==0.13.9
# The suite runs on one process per CPU (pytest-xdist), a test file staying on one process so
# its module fixtures (browser context, apps with special settings) are built once; each process
# builds one database, app and worker per backend (tests/support/per_backend.py). Files go
# longest first, by the seconds of tests/file_durations.json (tests/support/scheduling.py),
# not by xdist's own order. `make test PYTEST_WORKERS=` runs it in one process.
PYTEST_WORKERS ?= --numprocesses auto --dist loadfile --no-loadscope-reorder
# The slowest tests are listed at the end of each run, to keep an eye on the suite's time.
PYTEST_ARGS    ?= -q --durations=15

.PHONY: install run test test-durations lint typecheck format worker api bench bench-intake bench-faults bench-pages bench-upload-memory bench-platforms compose-check clean assets screenshots

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
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
## The type check runs beside the tests, at a lower priority: the suite leaves the CPU idle
## about 15 % of the time (waiting on Temporal, the browser, the databases), and mypy's 17 s
## on a clean clone fit in it. Its report is printed after the tests'; either failing fails.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@mypy_log=$$(mktemp); \
	nice -n 10 $(BIN)/mypy > $$mypy_log 2>&1 & mypy_pid=$$!; \
	echo "PYTHONDONTWRITEBYTECODE= $(BIN)/pytest $(PYTEST_ARGS) $(PYTEST_WORKERS)  (mypy beside it)"; \
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest $(PYTEST_ARGS) $(PYTEST_WORKERS); tests=$$?; \
	wait $$mypy_pid; types=$$?; \
	echo "$(BIN)/mypy:"; cat $$mypy_log; rm -f $$mypy_log; \
	test $$tests -eq 0 && test $$types -eq 0

## Run the suite and record each test file's seconds in tests/file_durations.json, which
## orders the files of the next runs (longest first); commit it when files were added.
test-durations: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q $(PYTEST_WORKERS) --record-durations

## The main pages as PNG in docs/screenshots/ (shown by the README), taken by the browser
## tests marked `screenshots` on the real stack, so the pictures stay true to the pages.
screenshots: $(STAMP)
	SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -m screenshots -k "not postgresql" tests/pages

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

## Pages benchmark: 10,000 cases in one platform, « Mes dossiers » and the coordinator's
## pages timed through the app on SQLite and PostgreSQL -> bench/results/pages.json (minutes).
bench-pages: $(STAMP)
	$(BIN)/python -m bench.pages

## Upload memory: a 20 MB XLSX unpacking to 200 MB sent to the API in its own process; its
## memory may rise by 50 MiB at most -> bench/results/upload_memory.json (about 5 min).
bench-upload-memory: $(STAMP)
	$(BIN)/python -m bench.upload_memory

## Platforms benchmark: one case creation and one retention pass at 10 and 2,000 platforms
## (SQLite, no Temporal) -> bench/results/platforms.json (seconds).
bench-platforms: $(STAMP)
	$(BIN)/python -m bench.platforms

## Every benchmark of the project, one after the other.
bench: bench-intake bench-faults bench-pages bench-upload-memory bench-platforms

## Refresh the pages' front-end assets (static/vendor/) from npm at the pinned versions.
## Needs node and npm; `make run` and `make test` use the committed files and do not.
DSFR_VERSION := 1.15.3
HTMX_VERSION := 4.0.1
VENDOR       := static/vendor
# The DSFR icon families the pages use (templates' fr-icon-* classes): their utility CSS and SVGs.
DSFR_ICONS   := arrows system user
DSFR_ICON_CSS = $(foreach f,$(DSFR_ICONS),utility/icons/icons-$(f)/icons-$(f).min.css)
assets:
	@command -v npm >/dev/null 2>&1 || { echo "make assets needs npm (node); the committed assets need neither"; exit 1; }
	rm -rf .assets-tmp && mkdir -p .assets-tmp/dsfr .assets-tmp/htmx
	cd .assets-tmp && npm pack --silent @gouvfr/dsfr@$(DSFR_VERSION) htmx.org@$(HTMX_VERSION) >/dev/null
	tar xzf .assets-tmp/gouvfr-dsfr-$(DSFR_VERSION).tgz -C .assets-tmp/dsfr
	tar xzf .assets-tmp/htmx.org-$(HTMX_VERSION).tgz -C .assets-tmp/htmx
	rm -rf $(VENDOR)/dsfr $(VENDOR)/htmx && mkdir -p $(VENDOR)/dsfr $(VENDOR)/htmx
	cd .assets-tmp/dsfr/package && cp LICENSE.md ../../../$(VENDOR)/dsfr/ && cd dist && \
	  cp -r dsfr.min.css dsfr.module.min.js dsfr.nomodule.min.js favicon ../../../../$(VENDOR)/dsfr/ && \
	  cp --parents $(DSFR_ICON_CSS) ../../../../$(VENDOR)/dsfr/ && \
	  grep -ohE 'url\(((\.\./)*)(fonts|icons)/[^)]*\)' dsfr.min.css $(DSFR_ICON_CSS) | \
	  sed -E 's/^url\((\.\.\/)*//; s/\)$$//' | sort -u | xargs -I{} cp --parents {} ../../../../$(VENDOR)/dsfr/
	cp .assets-tmp/htmx/package/dist/htmx.min.js .assets-tmp/htmx/package/LICENSE $(VENDOR)/htmx/
	echo "$(DSFR_VERSION)" > $(VENDOR)/dsfr/VERSION && echo "$(HTMX_VERSION)" > $(VENDOR)/htmx/VERSION
	rm -rf .assets-tmp
	@echo "DSFR $(DSFR_VERSION) and htmx $(HTMX_VERSION) copied to $(VENDOR)/"

compose-check:
	SECURITY_SECRET_KEY=ci-dummy docker-compose -f docker-compose.yml config -q

clean:
	rm -rf data/ .pytest_cache .mypy_cache .ruff_cache
