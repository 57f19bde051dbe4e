"""Pages checked in Chromium at a phone's width (390 px) and a laptop's (1280 px) by axe-core (from npm,
node_modules/axe-core) against WCAG 2.2 A and AA: no violation (issue 20).

Every page of each role is checked in the walk of tests/browser/test_every_page.py, with the script, tags
and widths set here; here each form is checked again with its error messages shown, and the check is
shown to find a violation. axe-core finds what a machine can find (names, labels, contrast, landmarks,
duplicate ids, focusable scrolling regions, the size of targets); the accessibility statement says what
is left to people."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.pages import pages_for, signed_in_context
from tests.test_permissions import scoped  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [1280, 390]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Each violation as one line per element it was found on, so a failure names what to fix and where.
RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.flatMap(v => v.nodes.map(n => `${v.id} (${v.impact}) at ${n.target.join(' ')}: ${v.help}`));
}"""


def test_no_form_sent_empty_has_a_violation_in_its_error_messages(browser, live_server, client, world, scoped):
    """The walk of every page sees each form as it opens; here each form that makes something new is sent
    empty, and the page that answers, with its error summary and each field's error message, is checked too."""
    violations = []
    with_errors = 0
    for persona in ("officer", "finance", "derbyshire", "evaluator", "anonymous"):
        paths = [path for path in pages_for(client, world, persona, scoped["inside"]) if path.endswith("/new/")]
        if persona == "anonymous":
            paths = ["/account/sign-in/"]
        context, page = signed_in_context(browser, live_server, persona, WIDTHS[0])
        context.add_init_script(path=str(AXE))
        try:
            for path in paths:
                page.goto(path)
                page.locator("main form[method=post] button[type=submit]").first.click()
                page.wait_for_load_state()
                if not page.locator(".govuk-error-summary").count():
                    continue
                with_errors += 1
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    found = page.evaluate(RUN, TAGS)
                    violations += [f"{path} sent empty as {persona} at {width} px: {line}" for line in found]
        finally:
            context.close()
    assert violations == [], f"{len(violations)} accessibility violations:\n" + "\n".join(violations)
    assert with_errors >= 10  # the forms of every role, not one


def test_the_check_finds_a_violation_when_a_page_has_one(browser, live_server):
    """The walk of every page and the forms' check pass only if axe runs and reports: a field without a
    label, added to a page, is found."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTHS[0], "height": 900})
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        page.goto("/help/")
        assert page.evaluate(RUN, TAGS) == []
        page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=\"no-label\">')")
        found = page.evaluate(RUN, TAGS)
        assert [line for line in found if line.startswith("label (critical) at #no-label")], found
    finally:
        context.close()
