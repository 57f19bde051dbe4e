"""Every page each role can click through to, walked link by link from its start page: each carries the
footer's links to the required pages, and the navigation marks exactly one item on every page that
belongs to a section of that role's navigation (issue 20: the dashboard marked both Dashboard and
Projects, a grant page marked nothing)."""

import re

import pytest
from django.urls import reverse

from tests.pages.conftest import walk

MARK = re.compile(r'aria-current="(?:page|true)"')
FOOTER_LINKS = ["pages:help", "pages:accessibility", "pages:cookies", "pages:privacy", "publish:index"]

# The Django admin and the API's documentation (Swagger UI, linked from the token pages) are not GOV.UK pages.
NOT_GOVUK_PAGES = ("/admin/", "/api/")

# The pages, by the start of their address, that belong to one of each role's navigation items.
IN_A_SECTION = {
    "officer": ("/projects/", "/grants/", "/evaluations/", "/reports/", "/exports/", "/downloads/"),
    "finance": ("/projects/", "/grants/", "/reports/", "/exports/", "/downloads/"),
    "viewer": ("/projects/", "/grants/", "/evaluations/", "/reports/", "/exports/", "/downloads/"),
    "derbyshire": ("/projects/", "/grants/"),
    "morninglane": ("/projects/", "/grants/"),
    "evaluator": ("/evaluations/",),
}


def footer_links(html: str) -> list[str]:
    footer = html[html.index('<footer class="govuk-footer">') :]
    return re.findall(r'<a class="govuk-footer__link" href="([^"]+)"', footer)


@pytest.mark.parametrize("persona", list(IN_A_SECTION))
def test_every_page_has_the_footer_links_and_at_most_one_current_mark(client, world, persona):
    client.force_login(getattr(world.users, persona))
    wanted = [reverse(name) for name in FOOTER_LINKS]
    checked = []
    for page, response in walk(client, "/", limit=60):
        if (
            response.status_code != 200
            or "text/html" not in response["Content-Type"]
            or page.startswith(NOT_GOVUK_PAGES)
        ):
            continue
        html = response.content.decode()
        assert set(wanted) <= set(footer_links(html)), page
        marks = len(MARK.findall(html[: html.index("</header>")]))
        expected = 1 if page.startswith(IN_A_SECTION[persona]) else marks
        assert marks <= 1 and marks == expected, (page, marks)
        checked.append(page)
    assert len(checked) > 5, checked


@pytest.mark.parametrize(
    "persona, path, current, active",
    [
        ("officer", "/projects/dashboard/", "Dashboard", None),
        ("officer", lambda world: f"/grants/{world.grant.pk}/", None, "Projects"),  # a grant belongs to Projects
        ("officer", lambda world: f"/grants/allocations/{world.allocations['GB-LAE-DBY'].pk}/", None, "Projects"),
        ("officer", "/grants/reconciliation/", None, "Reports"),
        ("officer", "/reports/impact/", None, "Reports"),
        ("officer", lambda world: f"/evaluations/{world.evaluation.pk}/", None, "Evaluations"),
        ("finance", lambda world: f"/grants/{world.grant.pk}/", None, "Projects"),
        ("derbyshire", lambda world: f"/grants/{world.grant.pk}/", None, "Your projects"),
        ("evaluator", lambda world: f"/projects/{world.project.pk}/", None, "Your evaluations"),
        ("evaluator", "/account/password/change/", "Your account", None),
    ],
)
def test_a_page_in_a_section_marks_its_item_and_no_other(client, world, persona, path, current, active):
    client.force_login(getattr(world.users, persona))
    path = path(world) if callable(path) else path
    response = client.get(path)
    assert response.status_code == 200, path
    header = response.content.decode()
    header = header[: header.index("</header>")]
    marked = re.findall(r'aria-current="(page|true)"><strong [^>]*>([^<]+)</strong>', header)
    assert marked == ([("page", current)] if current else [("true", active)])


def test_pages_outside_every_section_mark_nothing(client, world):
    client.force_login(world.users.officer)
    for path in ("/help/", "/accessibility/", "/help/money/"):
        assert 'aria-current="' not in client.get(path).content.decode(), path
