# Two commands on a fresh machine: `make run`, `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-smoke migrate messages superuser clean cluster test-ha

# (Re)install only when a requirements file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

migrate: $(STAMP)
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

# The English and Russian catalogs (locale/) compiled with GNU gettext's
# msgfmt, which scripts/ensure-gettext installs from Debian when it can.
messages: $(STAMP)
	bash scripts/ensure-gettext
	DEBUG=$${DEBUG:-1} $(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0

run: migrate messages
	DEBUG=$${DEBUG:-1} $(PY) -m devserver.serve

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The browser tests need Debian's Chromium, and the check of deploy/'s
# HAProxy file needs HAProxy: installed here when possible, otherwise make
# stops with a sentence saying how (never a silent skip).
test: lint messages
	bash scripts/ensure-chromium
	bash scripts/ensure-cluster-packages
	$(PY) -m pytest $(PYTEST_ARGS)

superuser: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py createsuperuser

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# Redis with Sentinel, PostgreSQL, N chat servers and HAProxy on $PORT, from
# deploy/'s files (README, "Redis Sentinel and HAProxy"). Ctrl-C stops it.
cluster: $(STAMP)
	bash scripts/cluster up $(CLUSTER_ARGS)

# The failover tests (tests/ha/): faults on a real cluster. .ci/run runs them.
# -s: each test prints its RECOVERY line (the time each recovery took).
test-ha: $(STAMP)
	$(PY) -m pytest -m ha -s tests/ha $(PYTEST_ARGS)
