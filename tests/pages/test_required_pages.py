"""The pages a public-sector service must have (issue 20): help, accessibility statement, cookies and
privacy notice, open to anyone; the generic header without the crown; the feedback link; and the
public start page with its open data."""

import re

import pytest
from django.conf import settings
from django.test import override_settings

from core.pages import service_cookies
from tests.conftest import PASSWORD

PAGES = {
    "/help/": ["Help", 'href="/help/money/"', "What the money figures mean"],
    "/accessibility/": [
        "Accessibility statement for Manage innovation grants",
        "How accessible this service is",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Technical information about this service’s accessibility",
        "How we tested this service",
        "manual checks are still to be done",
        # The result of tests/browser/test_every_page.py and test_accessibility.py.
        'id="automated-check"',
        "axe-core against WCAG 2.2 levels A and AA: it finds no",
    ],
    "/cookies/": ["Cookies", "Strictly necessary cookies"],
    "/privacy/": ["Privacy notice", "is the data controller", "public task", "How long we keep it", "Your rights"],
}


@pytest.mark.parametrize("persona", [None, "officer", "derbyshire", "evaluator"])
@pytest.mark.parametrize("path", list(PAGES))
def test_each_required_page_opens_for_anyone_with_its_content(client, world, persona, path):
    if persona:
        client.force_login(getattr(world.users, persona))
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    for text in PAGES[path]:
        assert text in page, text
    if path != "/cookies/":
        assert settings.SERVICE_CONTACT_EMAIL in page


@override_settings(SERVICE_OWNER="Ministry of Examples", SERVICE_CONTACT_EMAIL="grants@example.gov.uk")
def test_the_owner_and_contact_come_from_settings(client, db):
    for path in ("/privacy/", "/accessibility/"):
        page = client.get(path).content.decode()
        assert "The Ministry of Examples is the data controller" in page or "run by the Ministry of Examples" in page
        assert 'href="mailto:grants@example.gov.uk"' in page and "Department for Education" not in page
    header = client.get("/").content.decode().split("</header>")[0]
    assert "Ministry of Examples" in header


def test_the_cookies_page_lists_every_cookie_signing_in_sets(client, world):
    client.get("/account/sign-in/")
    client.post("/account/sign-in/", {"username": "derbyshire", "password": PASSWORD})
    set_by_the_service = set(client.cookies)
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME} <= set_by_the_service
    page = client.get("/cookies/").content.decode()
    listed = set(re.findall(r"<code>([^<]+)</code>", page))
    assert set_by_the_service <= listed
    assert "30 minutes without using the service, or when you close your browser" in page
    assert "52 weeks" in page  # the CSRF cookie's year (Django's 31,449,600 seconds)


@override_settings(SESSION_COOKIE_NAME="mig_session", SESSION_COOKIE_AGE=3600, CSRF_COOKIE_AGE=None)
def test_the_cookies_are_read_from_settings_not_typed_twice(client, db):
    cookies = {cookie.name: cookie for cookie in service_cookies()}
    assert cookies["mig_session"].expires.startswith("After 1 hour without using the service")
    assert cookies[settings.CSRF_COOKIE_NAME].expires == "When you close your browser"
    assert "<code>mig_session</code>" in client.get("/cookies/").content.decode()


def test_an_anonymous_visitor_is_given_no_sign_in_cookie(client, db):
    for path in ("/", "/cookies/", "/publish/"):
        client.get(path)
    assert settings.SESSION_COOKIE_NAME not in client.cookies


@pytest.mark.parametrize("persona", [None, "officer", "evaluator"])
def test_the_header_is_the_generic_one_without_the_crown(client, world, persona):
    if persona:
        client.force_login(getattr(world.users, persona))
    response = client.get("/help/")
    header = response.content.decode().split("</header>")[0]
    assert 'class="govuk-generic-header"' in header
    assert "govuk-header__logotype" not in header and "govuk-logo" not in header
    assert "<svg" not in header and "GOV.UK" not in header
    assert '<a href="/" class="govuk-generic-header__homepage-link">Department for Education</a>' in header


def test_the_phase_banner_links_to_feedback(client, db, settings):
    page = client.get("/help/").content.decode()
    assert f'href="{settings.FEEDBACK_URL}" id="feedback-link">feedback</a>' in page
    assert settings.FEEDBACK_URL.startswith(f"mailto:{settings.SERVICE_CONTACT_EMAIL}")


def test_the_start_page_explains_the_service_and_its_open_data_opens_for_anyone(client, world):
    page = client.get("/").content.decode()
    assert "Manage innovation grants" in page and "govuk-button--start" in page and 'href="/account/sign-in/"' in page
    for anchor in ("open-data-link", "open-data-json", "open-data-xlsx"):
        href = re.search(rf'href="([^"]+)" id="{anchor}"', page).group(1)
        response = client.get(href)
        assert response.status_code == 200, href
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, href
    assert client.get("/publish/360giving.json").json()["grants"][0]["title"]


def test_a_signed_in_user_gets_their_task_list_linking_to_their_own_start_page(client, world):
    client.force_login(world.users.evaluator)
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/evaluations/yours/#evaluations-caption"' in response.content.decode()
