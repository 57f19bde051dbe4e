"""The settings read the environment and refuse bad values loudly.

Each case starts a fresh interpreter, since settings are read once per process.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.TIME_ZONE, s.LANGUAGE_CODE, s.DATABASES['default']['ENGINE'], s.ALLOWED_HOSTS, "
    "getattr(s, 'SESSION_COOKIE_SECURE', False))"
)
GOOD_KEY = "k" * 60


def load(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run([sys.executable, "-c", PRINT], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_development_flag_turns_debug_on_with_london_time_and_british_english():
    result = load(DJANGO_DEVELOPMENT="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["True", "Europe/London", "en-gb", "django.db.backends.sqlite3"]


def test_production_without_a_secret_key_refuses_to_start():
    result = load(DJANGO_ALLOWED_HOSTS="grants.example.gov.uk")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set outside development" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    result = load(DJANGO_SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set outside development" in result.stderr


def test_production_settings_have_debug_off_and_secure_cookies():
    result = load(DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_ALLOWED_HOSTS="grants.example.gov.uk")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False ")
    assert "['grants.example.gov.uk'] True" in result.stdout


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DJANGO_DEVELOPMENT": "perhaps"}, "DJANGO_DEVELOPMENT must be one of"),
        ({"DJANGO_DEVELOPMENT": "1", "DATABASE_URL": "mysql://root@localhost/grants"}, "DATABASE_URL must name"),
        ({"DJANGO_DEVELOPMENT": "1", "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        (
            {"DJANGO_DEVELOPMENT": "1", "SESSION_COOKIE_AGE": "half an hour"},
            "SESSION_COOKIE_AGE must be a whole number",
        ),
        ({"DJANGO_DEBUG": "1", "DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "x"}, "only allowed together"),
        ({"DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "x"}, "at least 50 characters"),
    ],
)
def test_bad_values_stop_the_service_with_a_clear_message(env, message):
    result = load(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_database_url_names_postgresql():
    result = load(DJANGO_DEVELOPMENT="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/grants")
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.postgresql" in result.stdout


def test_postgresql_connections_turn_the_jit_compiler_off_give_sorts_memory_and_keep_options_given_in_the_url():
    show = (
        "import django; django.setup(); from django.conf import settings as s; print(s.DATABASES['default']['OPTIONS'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEVELOPMENT="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/grants?options=-c%20statement_timeout%3D5000",
    )
    result = subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "'options': '-c statement_timeout=5000 -c jit=off -c work_mem=32MB'" in result.stdout


@pytest.mark.django_db
def test_on_postgresql_the_jit_compiler_is_off_and_sorts_have_32_mb():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == "32MB"


def test_redis_url_puts_the_cache_in_redis_and_a_bad_one_stops_the_service():
    show = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default'])"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEVELOPMENT="1")

    def run(**env):
        return subprocess.run(
            [sys.executable, "-c", show], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
        )

    assert "LocMemCache" in run().stdout
    shared = run(REDIS_URL="redis://127.0.0.1:6379/0")
    assert "RedisCache" in shared.stdout and "redis://127.0.0.1:6379/0" in shared.stdout
    bad = run(REDIS_URL="127.0.0.1:6379")
    assert bad.returncode != 0 and "REDIS_URL must be a redis://" in bad.stderr
