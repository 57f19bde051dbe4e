"""Every page carries a Content Security Policy that forbids inline script and
style and framing, with the other security headers; no template relies on
inline script or style; and the production settings pass `check --deploy`."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.models import Role
from tests import factories as f
from tests.conftest import PASSWORD
from tests.test_permissions import fill, scoped, service_patterns  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("style attribute", STYLE_ATTRIBUTE),
        ("<style> element", STYLE_ELEMENT),
        ("event handler attribute", EVENT_HANDLER),
        ("javascript: address", JAVASCRIPT_URL),
    ):
        found += [f"{name}: {match.group(0)[:80]}" for match in pattern.finditer(html)]
    return found


def assert_protected(response):
    policy = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def pages(world):
    return [
        ("sign-in", None, reverse("accounts:sign-in")),
        ("start", None, reverse("home")),
        ("dashboard", world.users.officer, reverse("projects:dashboard")),
        ("project list", world.users.officer, reverse("projects:list")),
        ("project", world.users.officer, reverse("projects:detail", kwargs={"project_pk": world.project.pk})),
        (
            "project as a partner",
            world.users.derbyshire,
            reverse("projects:detail", kwargs={"project_pk": world.project.pk}),
        ),
        (
            "milestone",
            world.users.officer,
            reverse("projects:milestone", kwargs={"milestone_pk": world.derbyshire_milestone.pk}),
        ),
        (
            "milestone form",
            world.users.officer,
            reverse("projects:milestone-edit", kwargs={"milestone_pk": world.derbyshire_milestone.pk}),
        ),
        (
            "evaluation",
            world.users.evaluator,
            reverse("evaluations:detail", kwargs={"evaluation_pk": world.evaluation.pk}),
        ),
        ("payments waiting", world.users.finance, reverse("grants:payments-waiting")),
    ]


def test_every_sample_page_carries_the_policy_and_no_inline_script_or_style(client, world):
    # Every page is built from real objects, and each is one its user may open: 200, not a refusal.
    for name, user, path in [*pages(world), ("not found", world.users.officer, "/projects/999999/")]:
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == (404 if name == "not found" else 200), name
        assert_protected(response)
        assert inline_code(response.content.decode()) == [], name


def test_gov_uk_frontend_is_started_from_a_file(client, world):
    page = client.get(reverse("accounts:sign-in")).content.decode()
    assert '<script type="module" src="/assets/js/govuk-init.mjs"></script>' in page


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_the_admin_needs_no_exception_from_the_policy(client, world, superuser):
    """Django's admin keeps its script in files and passes data in data- attributes,
    so it runs under the same policy; autocomplete widgets included."""
    client.force_login(superuser)
    for path in (
        reverse("admin:index"),
        reverse("admin:evaluations_evaluation_changelist"),
        reverse("admin:evaluations_evaluation_change", args=[world.evaluation.pk]),
        reverse("admin:projects_project_change", args=[world.project.pk]),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_protected(response)
        assert inline_code(response.content.decode()) == [], path


def test_an_export_carries_the_policy_too(client, world):
    client.force_login(world.users.officer)
    response = client.get(reverse("exports:projects-csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert_protected(response)


def template_files():
    places = [
        ROOT / "templates",
        *(ROOT / app / "templates" for app in ("core", "accounts", "grants", "projects", "evaluations", "audit")),
    ]
    # templates/pdf/ is laid out by WeasyPrint into PDF files and never sent to a
    # browser, so the web pages' policy does not reach it; its styles live inside it.
    pdf = ROOT / "templates" / "pdf"
    return sorted(
        path for place in places if place.exists() for path in place.rglob("*.html") if pdf not in path.parents
    )


def test_no_template_has_inline_script_or_style():
    files = template_files()
    assert len(files) > 20
    found = {str(path.relative_to(ROOT)): inline_code(path.read_text()) for path in files}
    assert {name: code for name, code in found.items() if code} == {}


# --- Nothing private is cached --------------------------------------------------------------

# Downloads that are the page's own address with a format; the walk below opens each address plain.
DOWNLOADS = [
    ("reports:spending", {"format": "csv"}),
    ("reports:spending", {"format": "xlsx"}),
    ("impact:report", {"format": "xlsx"}),
    ("reports:board-pack", {"date": "2016-03-31"}),
]


def not_stored(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


@pytest.mark.parametrize("persona", ["officer", "derbyshire"])
def test_nothing_a_signed_in_user_is_sent_may_be_stored(client, world, scoped, persona):
    """Every page, export, evidence file and background download: ``Cache-Control: private, no-store``."""
    client.force_login(getattr(world.users, persona))
    opened, stored = [], []
    for name, route, _ in service_patterns():
        path = fill(route, scoped["inside"])
        queries = [{}, *(query for download, query in DOWNLOADS if download == name and persona == "officer")]
        for query in queries:
            response = client.get(path, query)
            if response.status_code != 200:
                continue
            opened.append(name)
            if not not_stored(response):
                stored.append((name, query, response.get("Cache-Control")))
    assert stored == []
    files = {
        "officer": {
            "projects:evidence",
            "evaluations:report-download",
            "exports:projects-csv",
            "downloads:ledger-xlsx",
            "reports:board-pack",
            "publish:360giving-json",
        },
        "derbyshire": {"projects:evidence", "downloads:job-file", "downloads:ledger-csv", "grants:allocation"},
    }
    assert files[persona] <= set(opened)


def test_public_pages_keep_their_own_caching_for_anyone_not_signed_in(client, world):
    world.grant.publishable = True
    world.grant.save()
    for name in ("home", "money-glossary", "publish:index", "publish:360giving-json", "publish:360giving-xlsx"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "no-store" not in response.get("Cache-Control", ""), name


def test_a_user_who_has_just_signed_in_is_sent_nothing_to_store(client, world):
    response = client.post(reverse("accounts:sign-in"), {"username": "derbyshire", "password": PASSWORD})
    assert response.status_code == 302
    assert not_stored(response)


# --- Sessions end after inactivity ------------------------------------------------------


def test_a_session_lasts_thirty_minutes_from_the_last_request(client, world, settings):
    assert settings.SESSION_COOKIE_AGE == 1800 and settings.SESSION_SAVE_EVERY_REQUEST
    client.force_login(world.users.officer)
    session = Session.objects.get()
    session.expire_date = timezone.now() + dt.timedelta(minutes=1)
    session.save()
    assert client.get(reverse("projects:dashboard")).status_code == 200
    remaining = Session.objects.get().expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < remaining <= dt.timedelta(minutes=30)


def test_an_expired_session_is_signed_out(client, world):
    client.force_login(world.users.officer)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("projects:dashboard"))
    assert response.status_code == 302 and reverse("accounts:sign-in") in response["Location"]


# --- Production settings ------------------------------------------------------------------


def production(*args, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "TWO_FACTOR"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=get_random_string(
            60, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#%^&*(-_=+)"
        ),
        DJANGO_ALLOWED_HOSTS="grants.example.gov.uk",
        **extra,
    )
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_finds_nothing_to_fix_in_production_settings():
    result = production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({n: getattr(s, n, None) for n in ("
    "'DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
    "'SECURE_HSTS_PRELOAD', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
    "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', 'SESSION_COOKIE_AGE', "
    "'SESSION_SAVE_EVERY_REQUEST', 'MIDDLEWARE')}))"
)


def test_production_settings_are_secure():
    result = production("-c", SHOW)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] and values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SESSION_COOKIE_AGE"] == 1800 and values["SESSION_SAVE_EVERY_REQUEST"] is True
    assert "csp.middleware.CSPMiddleware" in values["MIDDLEWARE"]
