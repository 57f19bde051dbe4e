"""Pages in Chromium that fit their screen or paper (issue 20): printed on A4, a report keeps every column
of its tables and loses the navigation, and the project page stays the same height however long its
activity log grows. That no page of any role scrolls sideways on a phone or a laptop is checked in the
walk of tests/browser/test_every_page.py.

The browser serves the collected static files: `make test` collects them first (after a change to
app.css outside `make test`, run `manage.py collectstatic`)."""

import datetime as dt

import pytest
from django.utils import timezone

from projects.models import ProjectStatusChange
from tests.browser.pages import signed_in_context

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_report_pages_print_on_a4_without_navigation_and_with_every_column(browser, live_server, world):
    context, page = signed_in_context(browser, live_server, "officer", 1280)
    try:
        page.goto("/reports/spending/")
        assert page.locator(".govuk-service-navigation").is_visible()
        assert page.locator(".govuk-footer").is_visible()
        page.emulate_media(media="print")
        # A4 less its margins (180 mm) is 680 CSS pixels across.
        page.set_viewport_size({"width": 680, "height": 960})
        for path in (
            "/reports/spending/",
            "/reports/impact/",
            "/projects/dashboard/",
            f"/projects/{world.project.pk}/",
        ):
            page.goto(path)
            for hidden in (
                ".govuk-service-navigation",
                ".govuk-footer",
                ".govuk-phase-banner",
                "#header-search",
                ".govuk-pagination",
                ".govuk-button",
                "form",
            ):
                shown = [element.is_visible() for element in page.locator(hidden).all()]
                assert not any(shown), f"{hidden} is printed on {path}"
            # No table is wider than its region, which no longer clips: every column is on the paper.
            regions = page.locator(".app-table-scroll")
            assert regions.count(), path
            assert regions.first.evaluate("region => getComputedStyle(region).overflowX") == "visible"
            cut = page.evaluate(
                "[...document.querySelectorAll('.app-table-scroll')].map(r => r.scrollWidth - r.clientWidth)"
            )
            assert max(cut) <= 0, f"a table on {path} is {max(cut)} px wider than the paper"
        page.goto("/reports/spending/")
        table = page.locator("#spending-table")
        assert table.is_visible()
        assert "Reclaiming Social Work" in table.inner_text()
    finally:
        context.close()


def _log(world, count, start):
    """``count`` more moves of the project, a minute apart after ``start``, each a row of its activity."""
    ProjectStatusChange.objects.bulk_create(
        ProjectStatusChange(
            project=world.project,
            old_status="active" if n % 2 else "closing",
            new_status="closing" if n % 2 else "active",
            changed_by=world.users.officer,
            changed_at=start + dt.timedelta(minutes=n),
            reason=f"Board meeting {n}",
        )
        for n in range(count)
    )


def test_the_project_page_is_as_tall_with_a_long_activity_log_as_with_a_short_one(browser, live_server, world):
    start = timezone.now() - dt.timedelta(days=1)
    _log(world, 60, start)
    context, page = signed_in_context(browser, live_server, "officer", 1280)
    try:
        page.goto(f"/projects/{world.project.pk}/")
        rows = page.locator("tr.app-activity")
        assert rows.count() == 20
        height = page.evaluate("document.documentElement.scrollHeight")
        _log(world, 200, start + dt.timedelta(hours=2))
        page.goto(f"/projects/{world.project.pk}/")
        assert "Board meeting 199" in rows.first.inner_text()
        assert rows.count() == 20
        assert page.evaluate("document.documentElement.scrollHeight") == height
        page.get_by_role("link", name="Next page").click()
        assert "Board meeting 179" in rows.first.inner_text()
    finally:
        context.close()
