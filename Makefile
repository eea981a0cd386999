# Two commands for a fresh clone (Python 3.11+, make, bash, on Debian or Ubuntu):
#   make demo   installs everything, migrates, seeds and runs the portal, the mock Apple
#               service, a Celery worker and Celery beat in the foreground (Ctrl-C stops all)
#   make test   installs everything and runs the whole test suite (lint, types, tests)
# Both first install the Debian packages they need (scripts/system-packages.sh) when they can,
# or stop at once with the command to run.
# While coding: make check (lint, types and the tests that need no browser nor worker process).
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCKS := requirements/runtime.lock requirements/dev.lock
DEVICES ?= 500

.PHONY: install migrate seed demo test check lint lock messages clean \
	system-packages system-packages-browser

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The exact versions of requirements/dev.lock (the dev and demo extras on top of the runtime
# lock), then the project itself with no dependency of its own resolved (without setuptools'
# notice that an editable install is one).
$(STAMP): $(LOCKS) pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements/dev.lock
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --no-deps -e .
	@out=$$($(PY) -m pip check) || { echo "$$out"; echo "make lock, then make again"; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

# Refresh the locks from pyproject.toml, keeping the pinned versions that still fit;
# make lock UPGRADE=1 takes the newest versions the bounds allow.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet $(if $(UPGRADE),--upgrade) \
	--strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: | $(PY)
	$(PY) -m pip install --quiet -r requirements/dev.lock
	$(PIP_COMPILE) -o requirements/runtime.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --extra demo -c requirements/runtime.lock -o requirements/dev.lock pyproject.toml

# Debian packages: gettext (msgfmt) compiles the French catalogues, chromium runs the browser tests,
# redis-server is started and killed by the fault suite (tests/faults/, its own servers).
system-packages:
	@scripts/system-packages.sh gettext

system-packages-browser:
	@scripts/system-packages.sh gettext chromium redis-server

migrate: install
	$(PY) manage.py migrate_all -v0

seed: migrate
	$(PY) manage.py seed_demo --devices $(DEVICES)

demo: system-packages
	$(MAKE) --no-print-directory seed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho --procfile Procfile start

# The migrations check compares the models with the migration files; the databases need not
# exist yet (the tests create their own), so its migration-history warning is not shown.
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .
	$(VENV)/bin/lint-imports
	$(PY) -W "ignore:Got an error checking a consistent migration history:RuntimeWarning" \
		manage.py makemigrations --check --dry-run -v0

# The whole suite; what CI runs.
test: system-packages-browser
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest

# The quick loop while coding: no browser, no worker process.
check: system-packages
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -m "not browser and not integration and not faults"

# Extract the strings of each app into its own French catalogue, then compile them.
messages: install
	$(PY) manage.py update_catalogues --compile

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
