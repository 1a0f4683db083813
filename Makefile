# FTZ Tracker. Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One stamp per requirements set, named after its files' hash: a changed file means a new stamp and a
# reinstall. Production targets install requirements.txt; tests, lint and bench add requirements-dev.txt.
STAMP := $(VENV)/.installed-prod-$(shell cat requirements.txt | sha1sum | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
PLAN_FIXTURES := fixtures/second-batch.json fixtures/ftz-14th-fyp.json
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for `make test-postgres` (the cluster installed on the machine).
PG_URL ?= postgres://ftz:ftz@127.0.0.1:5432/ftz

.PHONY: bench bench-deps serve run test test-postgres postgres venv venv-dev system-deps build-deps ldap-server browser messages db lint format fixtures demo-accounts clean

# The task worker (notices, digests) and the periodic ticker run beside the web server; Ctrl+C
# (or the server stopping) stops them too. Background jobs of a script ignore Ctrl+C, hence the trap.
WORKERS = $(PY) manage.py db_worker --no-reload -v0 & worker=$$!; \
	$(PY) manage.py run_periodic --loop 60 >/dev/null & ticker=$$!; \
	trap 'kill $$worker $$ticker 2>/dev/null; wait $$worker $$ticker 2>/dev/null' EXIT INT TERM;

run: db ## set everything up and serve on http://127.0.0.1:8000, with the task worker
	@echo "Serving FTZ Tracker on http://$(HOST):$(PORT)/ with its task worker (Ctrl+C to stop)"
	@$(WORKERS) $(PY) manage.py runserver $(HOST):$(PORT)

bench-deps:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

bench: venv-dev messages postgres bench-deps ## benchmarks at scale (not part of make test); writes docs/benchmarks.md
	$(PY) -m bench $(BENCH_ARGS)

serve: db ## serve with gunicorn as in production (deploy/gunicorn.conf.py) on http://$(HOST):$(PORT)
	@echo "Serving FTZ Tracker with gunicorn on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@$(WORKERS) GUNICORN_BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py

# Two processes (pytest-xdist), one per core of the usual machine, each with its own test database,
# live server and directory servers on free loopback ports. `--dist load` hands each process the tests
# in collection order, so the transactional tests (which empty the database after them) still come
# last in each, as pytest-django orders them. TEST_WORKERS=0 runs in this process (e.g. for a debugger).
TEST_WORKERS ?= 2
# Bytecode is kept for the tests even where the environment turns it off (PYTHONDONTWRITEBYTECODE):
# otherwise every process of every run compiles and assertion-rewrites all 150 test modules again,
# about 5.5 s of CPU per process. It goes to __pycache__/, which git ignores.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist load

test: venv-dev messages browser ldap-server ## the whole suite, browser tests included
	$(PYTEST)

test-postgres: venv-dev messages browser ldap-server postgres ## the whole suite again on PostgreSQL
	DATABASE_URL=$(PG_URL) $(PYTEST)

$(STAMP): requirements.txt
	@$(MAKE) --no-print-directory build-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-prod-*
	touch $@

# The dev set includes requirements.txt, so it also brings the production stamp up to date.
$(DEV_STAMP): requirements.txt requirements-dev.txt
	@$(MAKE) --no-print-directory build-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP) $@

venv: $(STAMP)

venv-dev: $(DEV_STAMP)

# Debian packages the app needs on a fresh machine: gettext to compile the
# translations; Chromium and a CJK font for the browser tests.
system-deps:
	@command -v msgfmt >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext)

# python-ldap (for django-auth-ldap) has no wheel: pip compiles it against OpenLDAP's and SASL's headers.
build-deps:
	@(command -v gcc >/dev/null && test -f /usr/include/ldap.h && test -f /usr/include/sasl/sasl.h) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libldap2-dev libsasl2-dev)

# The directory sign-in tests start their own slapd on loopback (tests/directory/ldap_server.py);
# a server the package itself may start is not used.
ldap-server:
	@(command -v slapd >/dev/null || test -x /usr/sbin/slapd) && command -v ldapsearch >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils)

browser:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi wenquanyi || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei)

messages: venv system-deps
	$(PY) manage.py compilemessages --ignore=.venv -v0

db: venv messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_plan $(PLAN_FIXTURES)
	$(PY) manage.py load_indicators
	$(PY) manage.py create_periods
	$(PY) manage.py create_demo_accounts

demo-accounts: venv ## new passwords for the demo accounts
	$(PY) manage.py create_demo_accounts --reset

fixtures: venv ## regenerate fixtures/second-batch.json from the source plan
	$(PY) manage.py import_plan ../shared/sources/003_75cbf884333c7980.txt --code second-batch \
	  --issuer 天津市商务局 --title-en "Construction plan for the second batch of Tianjin FTZ linked innovation zones"
	$(PY) manage.py import_fyp ../shared/sources/004_6f279094ef53df13.txt --code ftz-14th-fyp \
	  --title 中国（天津）自由贸易试验区“十四五”发展规划 \
	  --title-en "China (Tianjin) Pilot Free Trade Zone Development Plan for the 14th Five-Year Plan Period (2021–2025)"

postgres: ## start the local PostgreSQL 15 cluster and create the ftz role
	@pg_lsclusters -h 2>/dev/null | grep -q ' online' || pg_ctlcluster 15 main start
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='ftz'\"" | grep -q 1 || \
	  su postgres -c "psql -qc \"CREATE ROLE ftz LOGIN PASSWORD 'ftz' CREATEDB\""
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='ftz'\"" | grep -q 1 || \
	  su postgres -c "createdb -O ftz ftz"

lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: venv-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
