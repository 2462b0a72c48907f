# Linli: every task is one command. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test lint format bench translations migrate browser clean worker

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.app-installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.app-installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

translations: $(VENV)/.app-installed
	$(PY) -m app.translate

migrate: translations
	$(FLASK) db upgrade

# The address a browser here opens (links in the demo's SMS): 0.0.0.0 is reached at 127.0.0.1.
SERVED_URL = http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

# The web server and the SMS worker together (SMS print here); Ctrl+C stops both.
run: migrate
	SERVED_BASE_URL=$${SERVED_BASE_URL:-$(SERVED_URL)} $(FLASK) seed-demo --if-empty
	$(PY) -m app.launcher --host $(HOST) --port $(PORT)

# The web server alone (with `make worker` in another terminal, or none).
serve: migrate
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host $(HOST) --port $(PORT)

worker: migrate
	$(FLASK) worker

# Debian's chromium and a CJK font for the browser tests (we are root on these machines).
browser:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium is missing and we are not root: browser tests will say so"; fi; \
	fi

# Two workers (pytest-xdist; this is a 2-core machine): each has its own SQLite files, its own
# PostgreSQL database and its own servers on free ports. Tests that share a seeded demo stay
# on one worker (tests/conftest.py, xdist_group). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2

test: $(VENV)/.test-installed translations browser
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check app tests benchmarks

format: $(VENV)/.test-installed
	$(VENV)/bin/ruff format app tests benchmarks
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.test-installed translations
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || true
	$(PY) -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) app/translations .pytest_cache
