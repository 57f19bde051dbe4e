# The commands a newcomer and CI use. `make run` sets up and serves the demo;
# `make test` runs the whole suite (SQLite, or PostgreSQL when DATABASE_URL says so).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run setup test lint lock clean-db browser nginx serve bench loadtest backup restore

# A development machine installs requirements-dev.lock: the service's own pins (requirements.lock,
# all a production server installs) and the test, lint and load tools, pinned alike.
$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
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
	@# The worker makes large downloads in the background; it stops with the server.
	$(PY) manage.py worker --no-startup-delay & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) manage.py runserver 127.0.0.1:$(PORT)

# A production-style server: nginx on PORT, serving the static files and reading each request whole, in
# front of INSTANCES gunicorn instances (PORT+1, ...) of WORKERS workers each (deploy/serve.py), DEBUG off,
# PostgreSQL through DATABASE_URL (created if missing), the cache in Redis. It listens on
# loopback over plain HTTP (DJANGO_HTTPS=0); behind a TLS proxy, leave DJANGO_HTTPS unset.
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/manage_innovation_grants
INSTANCES ?= 2
WORKERS ?= 2
serve: export DJANGO_DEVELOPMENT = 0
serve: export DATABASE_URL ?= $(SERVE_DATABASE_URL)
serve: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: export DJANGO_HTTPS ?= 0
serve: export REDIS_URL ?= redis://127.0.0.1:6379/0
serve: setup nginx .secret-key
	$(eval export DJANGO_SECRET_KEY ?= $(shell cat .secret-key))
	$(PY) -m config.ensure_database
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py load_authorities --verbosity 0
	$(PY) manage.py load_measures --verbosity 0
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Serving on http://127.0.0.1:$(PORT)/, database $$DATABASE_URL"
	$(PY) manage.py worker --no-startup-delay & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) -m deploy.serve --port $(PORT) --instances $(INSTANCES) --workers $(WORKERS)

# The figures at national scale (bench/bench.py): on DATABASE_URL if set, else a SQLite
# file of its own; BENCH_PROJECTS=N (default 1,000) sets the size of the generated programme.
bench: export DJANGO_DEVELOPMENT = 1
bench: setup
	$(PY) -m config.ensure_database
	$(PY) bench/bench.py

# 50 signed-in officers, council staff and evaluators for 60 s against `make serve` on PostgreSQL (bench/loadtest.sh).
loadtest: setup
	bench/loadtest.sh

# A secret key for `make serve`, made once and kept out of git.
.secret-key:
	$(PY) -c "import secrets; print(secrets.token_urlsafe(64))" > $@
	chmod 600 $@

# The browser tests drive Debian's Chromium (a browser download by Playwright fails here).
browser:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# `make serve` and its test (tests/deploy) put Debian's nginx in front of the application.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
		echo "Installing Debian's nginx for make serve"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }

test: export DJANGO_DEVELOPMENT = 1
# Two processes (pytest-xdist; TEST_WORKERS=1 for one), each with its own test database.
TEST_WORKERS ?= auto
test: setup browser nginx lint
	$(PY) manage.py makemigrations --check --dry-run --verbosity 0
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# ruff: the lint rules and the format in pyproject.toml (the pre-commit hooks run the same).
# `.venv/bin/ruff format .` formats the code; this only checks that it is formatted.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Re-pin every Python dependency from pyproject.toml (needs the dev extra installed). Extras stay in
# the pins (fonttools[woff]==...): with --require-hashes, pip refuses a dependency asked for with an
# extra (weasyprint's fonttools[woff]) whose pin names no extra once a newer release is out.
lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile --quiet --no-strip-extras --generate-hashes --allow-unsafe \
		-o requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile --quiet --no-strip-extras --extra dev --generate-hashes --allow-unsafe \
		--constraint requirements.lock -o requirements-dev.lock pyproject.toml

clean-db:
	rm -f db.sqlite3

# Backups (core/management/commands/backup.py, restore.py) of what `make serve` serves, or of the database
# and storage the environment names: one .tar.gz of a pg_dump and every stored file, with a manifest.
# `make backup` writes backups/<date-time>.tar.gz (or FILE=...); `make restore FILE=...` needs an empty
# database (created here when missing) and an empty storage, and changes nothing otherwise.
backup restore: export DJANGO_DEVELOPMENT ?= 0
backup restore: export DATABASE_URL ?= $(SERVE_DATABASE_URL)
backup restore: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost
backup: setup .secret-key
	$(eval export DJANGO_SECRET_KEY ?= $(shell cat .secret-key))
	$(PY) manage.py backup $(FILE)

restore: setup .secret-key
	@test -n "$(FILE)" || { echo "Name the backup to restore: make restore FILE=backups/<date-time>.tar.gz"; exit 2; }
	$(eval export DJANGO_SECRET_KEY ?= $(shell cat .secret-key))
	$(PY) -m config.ensure_database
	$(PY) manage.py restore $(FILE)
