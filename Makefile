# factcheck — the entry points. `make demo` runs the app, `make test` runs every check.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
HOST_PYTHON ?= python3

.PHONY: screenshots install demo run test lint format migrations-check bench bench-scale loadtest serve clean audit

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PYTHON) || $(HOST_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $@

# The app and, beside it, a background-job worker (imports from links, snapshots, exports),
# both stopped together. `make demo PORT=8001` serves on another port (8000 taken); the
# public pages' addresses follow it unless FACTCHECK_PUBLIC_BASE_URL says otherwise.
PORT ?= 8000
RUN_WITH_WORKER = export FACTCHECK_PUBLIC_BASE_URL="$${FACTCHECK_PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)}"; \
	$(PYTHON) manage.py run_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	$(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

demo: install
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py load_demo
	$(RUN_WITH_WORKER)

run: install
	$(RUN_WITH_WORKER)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PYTHON) manage.py makemigrations --check --dry-run

test: lint migrations-check
	$(PYTHON) -m pytest

# Known vulnerabilities in the installed dependency set (pip-audit): fails on any found; only
# warns when the vulnerability service cannot be reached.
audit: install
	$(PYTHON) bin/audit-deps

bench: install
	$(PYTHON) -m bench

# A desk at scale on a throwaway PostgreSQL (port 54349 or BENCH_SCALE_PG_PORT): articles,
# claims, citations, sources with snapshots and five years of history written with COPY, figures
# and index keys read as the app reads them, then search, proposals, the claims table, a
# conflict page, the dashboard and each filter, the 1,000-claim reader, claim creation, history
# pages and the JSON export's memory, with query plans. Measured at a fifth of the size
# (BENCH_SCALE_FIRST=0.2; 0: only at the size) and at the size. The default size builds in
# about 20 minutes on 2 cores; the issue's is `make bench-scale BENCH_SCALE_ARTICLES=100000
# BENCH_SCALE_CLAIMS=2000000 BENCH_SCALE_FIRST=0` (1.5 to 2 hours on a shared 2-core machine).
BENCH_SCALE_ARTICLES ?= 25000
BENCH_SCALE_CLAIMS ?= 500000
BENCH_SCALE_FIRST ?= 0.2
# BENCH_SCALE_KEEP=DIR keeps the built cluster there and, run again, only measures it.
bench-scale: install
	$(PYTHON) -m bench.scale --articles $(BENCH_SCALE_ARTICLES) --claims $(BENCH_SCALE_CLAIMS) \
	  --first $(BENCH_SCALE_FIRST) $(if $(BENCH_SCALE_KEEP),--keep $(BENCH_SCALE_KEEP))

# 200 reviewers for 120 s on the production server (gunicorn with Uvicorn workers and Redis,
# as bin/serve runs it) + a throwaway PostgreSQL, with a job worker making a PDF
# report (200 claims) or a JSON export of everything every 10 s meanwhile; then 10 writers for
# 20 s on SQLite, then 500 open readers of live updates on one Uvicorn process (loadtest/live.py:
# delivery latency percentiles and the readers' memory; `python -m loadtest.live --servers 2` for
# two processes on PostgreSQL and Redis), then 50 reviewers as bin/serve serves them (Uvicorn
# workers, Redis) without and with 500 open readers connected: their p95 compared (≤ 10 %
# worse). All always run; the target fails if any missed a target.
loadtest: install
	$(PYTHON) -m loadtest --db postgres --users 200 --duration 120 --jobs 10 --asgi; pg=$$?; \
	$(PYTHON) -m loadtest --db sqlite --users 10 --duration 20 --writers --think 0.1 0.5; lite=$$?; \
	$(PYTHON) -m loadtest.live --readers 500; live=$$?; \
	$(PYTHON) -m loadtest --db postgres --users 50 --duration 60 --live-readers 500; beside=$$?; \
	test $$pg = 0 && test $$lite = 0 && test $$live = 0 && test $$beside = 0

# Production: settings from the environment (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL).
serve: install
	bin/serve

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

# Refresh the README's screenshots (taken by the browser tests).
screenshots: install
	FACTCHECK_SCREENSHOTS=1 $(PYTHON) -m pytest tests/browser -q
