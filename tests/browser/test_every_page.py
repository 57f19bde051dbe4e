"""Every page of each role, in Chromium, loaded once and laid out at a laptop's width (1280 px), a
phone's (390 px) and a small phone's (320 px) (issue 20): at each, none scrolls sideways, as wide tables
scroll inside their own labelled region; at the laptop's and the phone's, axe-core finds no violation
of WCAG 2.2 A or AA (what it checks, and its check on itself, are in test_accessibility.py).

One walk for both checks, so each role signs in and each page loads once, not twice. The pages are
those of tests/browser/pages.py. The browser serves the collected static files: `make test` collects
them first (after a change to app.css outside `make test`, run `manage.py collectstatic`)."""

import pytest

from tests.browser.pages import PERSONAS, pages_for, signed_in_context
from tests.browser.test_accessibility import AXE, RUN, TAGS
from tests.browser.test_accessibility import WIDTHS as AXE_WIDTHS
from tests.test_permissions import scoped  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 390, 320]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# The innermost elements that reach past the window's right edge, to name the culprit in a failure.
CULPRITS = """() => [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.app-table-scroll'))
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))"""


def test_no_page_of_any_role_scrolls_sideways_or_has_a_wcag_22_a_or_aa_violation_found_by_axe(
    browser, live_server, client, world, scoped
):
    assert AXE.exists(), "axe-core is missing: run `make setup`, which installs it from package.json with npm"
    overflowing, violations = [], []
    laid_out = audited = 0
    for persona in PERSONAS:
        paths = pages_for(client, world, persona, scoped["inside"])
        assert paths, f"{persona} has no page to open"
        widths = WIDTHS
        context, page = signed_in_context(browser, live_server, persona, widths[0])
        # Given to every page the context opens, before the page's own scripts, and outside its content
        # security policy: a third quicker than adding it to each page once loaded, and the page unchanged.
        context.add_init_script(path=str(AXE))
        try:
            for path in paths:
                response = page.goto(path)
                assert response.ok, f"{persona} got {response.status} from {path}"
                # Each page is laid out again at each width, as a window resized would be: one load, not three.
                for width in widths:
                    if page.viewport_size["width"] != width:
                        page.set_viewport_size({"width": width, "height": 900})
                    extra = page.evaluate(OVERFLOW)
                    if extra > 0:
                        culprits = ", ".join(page.evaluate(CULPRITS))
                        overflowing.append(f"{path} as {persona} at {width} px: {extra} px too wide ({culprits})")
                    laid_out += 1
                    if width in AXE_WIDTHS:
                        found = page.evaluate(RUN, TAGS)
                        violations += [f"{path} as {persona} at {width} px: {line}" for line in found]
                        audited += 1
                # The next page opens at the width this one ended on, and is resized twice, not three times.
                widths = widths[::-1]
        finally:
            context.close()
    failures = []
    if overflowing:
        failures.append("pages wider than the window:\n" + "\n".join(overflowing))
    if violations:
        failures.append(f"{len(violations)} accessibility violations:\n" + "\n".join(violations))
    assert failures == [], "\n\n".join(failures)
    # Every role's pages, not a handful, for each check.
    assert laid_out > 100
    assert audited > 100
