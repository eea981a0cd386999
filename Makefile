# Two commands for a fresh clone (Python 3.11+, make, bash):
#   make demo   installs everything, migrates, seeds and runs the portal, the mock Apple
#               service, a Celery worker and Celery beat in the foreground (Ctrl-C stops all)
#   make test   installs everything and runs the whole test suite (lint, types, tests)
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEVICES ?= 500

.PHONY: install migrate seed demo test lint messages clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate_all -v0

seed: migrate
	$(PY) manage.py seed_demo --devices $(DEVICES)

demo: seed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho --procfile Procfile start

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .
	$(PY) manage.py makemigrations --check --dry-run -v0

test: lint
	$(PY) -m pytest

# Extract the strings of each app into its own French catalogue, then compile them.
messages: install
	$(PY) manage.py update_catalogues --compile

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
