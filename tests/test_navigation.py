from django.urls import reverse

from accounts.context_processors import NAVIGATION
from accounts.views import LANDING


def test_every_navigation_link_and_landing_page_resolves():
    for items in NAVIGATION.values():
        for _, name in items:
            reverse(name)
    for name in LANDING.values():
        reverse(name)


def test_each_role_lands_on_its_own_start_page_after_sign_in(client, world):
    for persona, path in (("officer", "/projects/dashboard/"), ("finance", "/grants/payments/waiting/"),
                          ("derbyshire", "/projects/yours/"), ("evaluator", "/evaluations/yours/"),
                          ("viewer", "/projects/dashboard/")):
        client.force_login(getattr(world.users, persona))
        assert client.get("/").url == path, persona


def test_the_navigation_shows_each_role_its_own_pages(client, world):
    client.force_login(world.users.derbyshire)
    page = client.get("/projects/yours/").content.decode()
    assert "Your projects" in page and "Dashboard" not in page and "Payments waiting" not in page
    client.force_login(world.users.finance)
    page = client.get("/grants/payments/waiting/").content.decode()
    assert "Payments waiting" in page and "Your projects" not in page
