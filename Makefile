# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 5000

.PHONY: install translations run run-prod test lint typecheck imports bench extract-messages clean worker relay scheduler

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12+ is needed (see .python-version); found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,prod]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) translations

# Compiled catalogs (.mo) are build output, made at install time from the .po sources.
translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d storefront/translations 2>&1 | grep -v '^$$' || true
	@test -f storefront/translations/vi/LC_MESSAGES/messages.mo

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o storefront/translations/messages.pot --ignore-dirs=".* ._ instance" .
	$(BIN)/pybabel update -i storefront/translations/messages.pot -d storefront/translations --no-fuzzy-matching

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# The production profile on this machine's PostgreSQL and Redis (docs/deployment.md): two
# gunicorn workers, a job worker, the relay and the scheduler, with the demo catalog.
run-prod: install
	PORT=$(PORT) bash deploy/run-prod.sh

# The job queue (JOBS_BACKEND=rq, REDIS_URL in .env; docs/deployment.md "Jobs"): workers run
# the outbox's jobs, the relay hands them over, the scheduler starts the periodic ones (one).
worker: install
	$(BIN)/flask --app wsgi jobs worker

relay: install
	$(BIN)/flask --app wsgi jobs relay

scheduler: install
	$(BIN)/flask --app wsgi jobs scheduler

# One pytest-xdist worker per core (own SQLite file, or own PostgreSQL database each);
# PYTEST_ARGS= (empty) runs in one process. The 15 slowest tests are listed at the end.
PYTEST_ARGS ?= -n auto
test: install
	$(BIN)/python -m pytest --durations=15 $(PYTEST_ARGS)

# The direction of imports (web → domain → core/models, no cycles): contracts in pyproject.toml.
imports: $(STAMP)
	$(BIN)/lint-imports

# ruff (style, bugs, import order) and import-linter (the direction of imports).
lint: $(STAMP)
	$(BIN)/ruff check storefront tests bench config.py wsgi.py migrations
	$(BIN)/ruff format --check storefront tests bench config.py wsgi.py migrations
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance tests/artifacts .pytest_cache .mypy_cache .ruff_cache
