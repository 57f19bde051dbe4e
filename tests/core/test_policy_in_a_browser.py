"""The Content Security Policy, in a real browser: the service's pages and the
Django admin (autocomplete, inlines, filters) run without a single violation,
so the admin needs no exception from the policy."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.models import Role
from tests.browser.conftest import ARGS, CHROMIUM, no_media_serving_by_the_live_server  # noqa: F401
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Installed before any page script runs (through the browser's debugging protocol,
# which the policy does not govern), so every refused script or style is counted.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def in_browser(base_url, username, visit):
    """Sign in and run ``visit(page)`` in Chromium. It runs in a thread of its own: the
    browser suite's session-wide Playwright holds this thread, and Playwright's sync API
    allows one per thread."""

    def run():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                context = browser.new_context(base_url=base_url)
                context.add_init_script(WATCH_VIOLATIONS)
                page = context.new_page()
                page.console_errors = []
                page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
                page.goto("/account/sign-in/")
                page.get_by_label("Username or email address").fill(username)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                return visit(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(run).result(timeout=120)


def violations(page):
    return page.evaluate("window.__violations") + [e for e in page.console_errors if "Content Security Policy" in e]


def test_the_service_pages_run_without_a_violation(live_server, world):
    paths = [
        "/",
        "/projects/dashboard/",
        "/projects/",
        f"/projects/{world.project.pk}/",
        f"/projects/milestones/{world.derbyshire_milestone.pk}/",
        f"/projects/milestones/{world.derbyshire_milestone.pk}/edit/",
        "/evaluations/",
    ]

    def visit(page):
        found = {}
        for path in paths:
            response = page.goto(path)
            found[path] = (
                response.status,
                "script-src 'self'" in response.headers["content-security-policy"],
                page.evaluate("document.body.classList.contains('govuk-frontend-supported')"),
                violations(page),
            )
        return found

    found = in_browser(live_server.url, world.users.officer.username, visit)
    assert found == {path: (200, True, True, []) for path in paths}


def test_the_admin_runs_without_a_violation(live_server, world):
    root = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    root.set_password(PASSWORD)
    root.save()
    paths = [
        "/admin/",
        "/admin/projects/project/?status__exact=active",
        f"/admin/grants/grant/{world.grant.pk}/change/",
        "/admin/grants/grant/add/",
        f"/admin/grants/programme/{world.programme.pk}/change/",
    ]

    def visit(page):
        found = {path: (page.goto(path).status, violations(page)) for path in paths}
        # An autocomplete widget: Select2 builds and positions its dropdown with script.
        page.goto(f"/admin/evaluations/evaluation/{world.evaluation.pk}/change/")
        page.locator(".field-evaluator_organisation .select2-selection").click()
        page.locator(".select2-dropdown .select2-search__field").fill("Univ")
        page.locator(".select2-results__option", has_text="Example University").wait_for()
        found["autocomplete"] = (200, violations(page))
        return found

    found = in_browser(live_server.url, root.username, visit)
    assert found == {path: (200, []) for path in [*paths, "autocomplete"]}
