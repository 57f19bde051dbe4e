"""The service navigation, rendered on a real page for each role: exactly that role's links,
in order, with the page it is on (or the section it is in) marked as the current one."""

import re

import pytest
from django.urls import reverse

# The page's own item is current (aria-current="page"); the item of the section a page is in is
# active (aria-current="true"); either is in bold for those who cannot see the underline.
ITEM = re.compile(
    r'<li class="govuk-service-navigation__item( govuk-service-navigation__item--active)?">\s*'
    r'<a class="govuk-service-navigation__link" href="([^"]+)"( aria-current="(?:page|true)")?>'
    r'(?:<strong class="govuk-service-navigation__active-fallback">)?([^<]+)(?:</strong>)?</a>'
)

OFFICER = [
    ("Dashboard", "/projects/dashboard/"),
    ("Projects", "/projects/"),
    ("Payments waiting", "/grants/payments/waiting/"),
    ("Variations", "/grants/variations/"),
    ("Evaluations", "/evaluations/"),
    ("Reports", "/reports/"),
    ("Set up", "/setup/"),
]
LINKS = {
    "officer": OFFICER,
    "admin": [*OFFICER, ("Admin", "/admin/")],
    "viewer": [
        ("Dashboard", "/projects/dashboard/"),
        ("Projects", "/projects/"),
        ("Evaluations", "/evaluations/"),
        ("Reports", "/reports/"),
    ],
    "finance": [
        ("Payments waiting", "/grants/payments/waiting/"),
        ("Projects", "/projects/"),
        ("Reports", "/reports/"),
    ],
    "derbyshire": [("Your projects", "/projects/yours/")],
    "evaluator": [("Your evaluations", "/evaluations/yours/")],
}
ACCOUNT = ("Your account", "/account/password/change/")


def navigation(page):
    menu = page[page.index('<ul class="govuk-service-navigation__list"') :]
    menu = menu[: menu.index("</ul>")]
    items = ITEM.findall(menu)
    for active_class, _, current, label in items:
        assert bool(active_class) == bool(current), f"{label}: the active class and aria-current disagree"
    return [(label, href) for _, href, _, label in items], [label for _, _, current, label in items if current]


def project(world):
    return f"/projects/{world.project.pk}/"


@pytest.mark.parametrize(
    "persona, path, current",
    [
        ("officer", "/grants/payments/waiting/", "Payments waiting"),
        ("officer", "/grants/variations/", "Variations"),
        ("officer", "/reports/", "Reports"),
        ("officer", "/evaluations/", "Evaluations"),
        ("officer", project, "Projects"),  # a project's page is in the Projects section
        ("officer", "/projects/", "Projects"),
        ("officer", "/projects/dashboard/", "Dashboard"),  # not "Projects" as well, though /projects/ starts it
        ("admin", "/grants/variations/", "Variations"),
        ("viewer", "/evaluations/", "Evaluations"),
        ("viewer", "/projects/dashboard/", "Dashboard"),
        ("finance", "/grants/payments/waiting/", "Payments waiting"),
        ("finance", "/reports/", "Reports"),
        ("derbyshire", "/projects/yours/", "Your projects"),
        ("derbyshire", project, "Your projects"),  # a council's project page is in its Your projects section
        ("evaluator", "/evaluations/yours/", "Your evaluations"),
    ],
)
def test_each_role_sees_exactly_its_links_with_the_current_page_marked(client, world, persona, path, current):
    client.force_login(getattr(world.users, persona))
    path = path(world) if callable(path) else path
    response = client.get(path)
    assert response.status_code == 200, path
    links, marked = navigation(response.content.decode())
    assert links == [*LINKS[persona], ACCOUNT]
    assert marked == ([current] if current else [])


def test_someone_not_signed_in_is_offered_only_sign_in(client, db):
    page = client.get(reverse("accounts:sign-in")).content.decode()
    links, marked = navigation(page)
    assert links == [("Sign in", reverse("accounts:sign-in"))] and marked == []


def test_each_role_lands_on_its_task_list_which_links_to_its_own_start_page(client, world):
    # "/" is each signed-in role's home: what waits for them (reports/tasks.py), linking to their own pages.
    for persona, path in (
        ("officer", "/projects/dashboard/"),
        ("finance", "/grants/payments/waiting/"),
        ("derbyshire", "/projects/yours/"),
        ("evaluator", "/evaluations/yours/"),
        ("viewer", "/evaluations/"),
        ("admin", "/projects/dashboard/"),
    ):
        client.force_login(getattr(world.users, persona))
        response = client.get("/")
        assert response.status_code == 200, persona
        assert 'class="govuk-task-list"' in response.content.decode(), persona
        assert f'href="{path}' in response.content.decode().split("<main")[1], persona
        assert client.get(path).status_code == 200, persona


def test_the_navigation_shows_each_role_its_own_pages(client, world):
    client.force_login(world.users.derbyshire)
    page = client.get("/projects/yours/").content.decode()
    assert "Your projects" in page and "Dashboard" not in page and "Payments waiting" not in page
    client.force_login(world.users.finance)
    page = client.get("/grants/payments/waiting/").content.decode()
    assert "Payments waiting" in page and "Your projects" not in page
