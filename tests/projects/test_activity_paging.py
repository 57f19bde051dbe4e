"""The project page's activity log, 20 entries at a time (issue 20: a long log made the page over
10,000 px tall): the next page has the next 20, any page number gives the nearest page, each page is
cached on its own, and the page's queries do not grow with the log."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.models import Grant, GrantStatusChange
from projects.models import Project, ProjectStatusChange

START = timezone.make_aware(dt.datetime(2030, 1, 1, 9, 0))


def log(world, count, first=0):
    """``count`` moves, a minute apart and newer than anything else, alternately of the project and of its
    grant (two sources of the feed, so the pages are merged across them); move ``n`` gives "Meeting n"."""
    officer = world.users.officer
    project_moves, grant_moves = [], []
    for n in range(first, first + count):
        when = START + dt.timedelta(minutes=n)
        if n % 2:
            grant_moves.append(
                GrantStatusChange(
                    grant=world.grant,
                    old_status=Grant.Status.ACTIVE,
                    new_status=Grant.Status.CLOSED,
                    changed_by=officer,
                    changed_at=when,
                    reason=f"Meeting {n}",
                )
            )
        else:
            project_moves.append(
                ProjectStatusChange(
                    project=world.project,
                    old_status=Project.Status.ACTIVE,
                    new_status=Project.Status.CLOSING,
                    changed_by=officer,
                    changed_at=when,
                    reason=f"Meeting {n}",
                )
            )
    ProjectStatusChange.objects.bulk_create(project_moves)
    GrantStatusChange.objects.bulk_create(grant_moves)


def meetings(client, world, query=""):
    """The meetings in the activity log of the page asked for, as shown, and the page's HTML."""
    page = client.get(reverse("projects:detail", kwargs={"project_pk": world.project.pk}) + query)
    assert page.status_code == 200
    html = page.content.decode()
    rows = re.findall(r'<tr class="govuk-table__row app-activity">.*?</tr>', html, re.S)
    return [int(number) for row in rows for number in re.findall(r"Meeting (\d+)", row)], html


@pytest.fixture
def officer(client, world):
    client.force_login(world.users.officer)
    return client


def test_sixty_entries_show_twenty_a_page_newest_first(officer, world):
    log(world, 60)
    first, html = meetings(officer, world)
    assert first == list(range(59, 39, -1))
    assert 'href="?activity_page=2#activity"' in html
    assert "Page 1 of" in html
    second, html = meetings(officer, world, "?activity_page=2")
    assert second == list(range(39, 19, -1))
    assert 'href="?activity_page=1#activity"' in html and 'href="?activity_page=3#activity"' in html
    third, _ = meetings(officer, world, "?activity_page=3")
    assert third == list(range(19, -1, -1))


def activity_rows(client, world, query=""):
    html = client.get(reverse("projects:detail", kwargs={"project_pk": world.project.pk}) + query).content.decode()
    return re.findall(r'<tr class="govuk-table__row app-activity">.*?</tr>', html, re.S), html


@pytest.mark.parametrize(
    ("asked", "nearest"),
    [("abc", "first"), ("0", "first"), ("-3", "first"), ("1.5", "first"), ("9" * 5000, "first"), ("999", "last")],
)
def test_a_bad_or_too_large_page_number_gives_the_nearest_page(officer, world, asked, nearest):
    log(world, 61)
    first, html = activity_rows(officer, world)
    last_number = int(re.search(r"Page 1 of (\d+)", html).group(1))
    assert last_number == 4  # the last page holds one entry, the oldest meeting
    last, _ = activity_rows(officer, world, f"?activity_page={last_number}")
    rows, html = activity_rows(officer, world, f"?activity_page={asked}")
    assert len(first) == 20 and len(last) == 1 and "Meeting 0" in last[0]
    assert rows == (first if nearest == "first" else last)
    assert f"Page {1 if nearest == 'first' else last_number} of {last_number}" in html


def test_each_page_of_the_log_is_cached_and_a_new_entry_shows_at_once(officer, world):
    log(world, 60)
    assert meetings(officer, world)[0][0] == 59
    assert meetings(officer, world, "?activity_page=2")[0][0] == 39
    with CaptureQueriesContext(connection) as cached:
        assert meetings(officer, world, "?activity_page=2")[0][0] == 39
    log(world, 1, first=60)
    assert meetings(officer, world)[0][0] == 60
    assert meetings(officer, world, "?activity_page=2")[0][0] == 40
    with CaptureQueriesContext(connection) as built:
        meetings(officer, world, "?activity_page=3")
    assert len(cached) < len(built)


def test_the_pages_queries_do_not_grow_with_the_log(officer, world):
    log(world, 30)
    with CaptureQueriesContext(connection) as short:
        meetings(officer, world, "?activity_page=2")
    log(world, 300, first=30)
    with CaptureQueriesContext(connection) as long:
        meetings(officer, world, "?activity_page=2")
    assert len(long) == len(short)
