# The commands a newcomer and CI use. `make run` sets up and serves the demo;
# `make test` runs the whole suite (SQLite, or PostgreSQL when DATABASE_URL says so).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run setup test lock clean-db browser

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

staticfiles/.collected: $(VENV)/.installed node_modules/.installed $(shell find static -type f 2>/dev/null)
	DJANGO_DEVELOPMENT=1 $(PY) manage.py collectstatic --noinput --verbosity 0
	touch $@

setup: $(VENV)/.installed node_modules/.installed staticfiles/.collected

run: export DJANGO_DEVELOPMENT = 1
run: setup
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py load_authorities --verbosity 0
	$(PY) manage.py load_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The browser tests drive Debian's Chromium (a browser download by Playwright fails here).
browser:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: export DJANGO_DEVELOPMENT = 1
test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

# Re-pin every Python dependency from pyproject.toml (needs the dev extra installed).
lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
		-o requirements.lock pyproject.toml

clean-db:
	rm -f db.sqlite3
