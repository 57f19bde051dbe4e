"""The pages each role opens, for the browser tests that walk them all (test_every_page.py, and the
forms' check in test_accessibility.py): one list, read from the URL resolver as tests/test_permissions.py
reads it, with the objects inside the personas' scope, so a new page is walked without being listed here."""

from tests.conftest import PASSWORD
from tests.test_permissions import EXPECTED, fill, service_patterns

# The funder's three roles, a partner council, an evaluator, and anyone before signing in.
PERSONAS = ["officer", "finance", "viewer", "derbyshire", "evaluator", "anonymous"]


def pages_for(client, world, persona, objects):
    """The web pages ``persona`` may open: each URL pattern they get a page from, less the downloads
    (a file is not laid out on a screen) and the pages that only take a POST."""
    client.logout()
    if persona != "anonymous":
        client.force_login(getattr(world.users, persona))
    paths = []
    for name, route, _ in service_patterns():
        if persona not in EXPECTED.get(name, set()):
            continue
        path = fill(route, objects)
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            paths.append(path)
    return paths


def signed_in_context(browser, live_server, persona, width, **options):
    """One browser context for ``persona``, signed in through the sign-in page as a person would;
    ``options`` go to the context (``bypass_csp`` to inject a checker's script)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900}, **options)
    page = context.new_page()
    if persona != "anonymous":
        page.goto("/account/sign-in/")
        page.get_by_label("Username or email address").fill(persona)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/account/sign-in/" not in url)
    return context, page
