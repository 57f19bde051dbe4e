"""A project's changes at scale (issue 17): every change is counted and reachable a page of
50 at a time, newest first, each written out in words only when its page shows it, in the
same queries however many changes there are."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants import services
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Payment
from projects.history import project_history
from projects.models import Milestone, Project

pytestmark = pytest.mark.django_db


def reprofile(world, times, start=0):
    """Harrow's allocation re-profiled ``times`` times, £1 more each time, by the officer."""
    for n in range(start, start + times):
        services.save_allocation(
            grant=world.grant,
            recipient=world.harrow,
            financial_year=FinancialYear(2015),
            resource=Decimal("300001.00") + n,
            capital=Decimal("0"),
            allocation=world.allocations["GB-LAE-HRW"],
            by=world.users.officer,
            reason=f"Re-profile {n}",
        )


def changes(client, project, query=""):
    url = reverse("projects:history", kwargs={"project_pk": project.pk}) + query
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    return page, re.findall(r'<tr class="govuk-table__row app-history">.*?</tr>', page, re.S), len(queries)


def test_every_change_is_on_a_page_of_fifty_newest_first(client, world):
    reprofile(world, 60)
    total = len(project_history(world.project, **_scope(world)))
    assert total > 60
    client.force_login(world.users.officer)
    first, rows, _ = changes(client, world.project)
    assert f"{total} changes, the newest first" in first
    assert len(rows) == 50
    assert "Resource: £300,059.00 → £300,060.00" in rows[0]
    assert "Officer Tester" in rows[0]
    pages = -(-total // 50)
    last, last_rows, _ = changes(client, world.project, f"?page={pages}")
    assert f"Page {pages} of {pages}" in last
    assert len(last_rows) == total - 50 * (pages - 1)
    everything = [changes(client, world.project, f"?page={n}")[1] for n in range(1, pages + 1)]
    assert sum(len(rows) for rows in everything) == total
    assert "Created: Project" in everything[-1][-1]  # the oldest change is the last


def _scope(world):
    user = world.users.officer
    return {
        "grants": list(Grant.objects.for_user(user).filter(project=world.project)),
        "allocations": Allocation.objects.for_user(user).filter(grant__project=world.project),
        "payments": Payment.objects.for_user(user).filter(allocation__grant__project=world.project),
        "milestones": Milestone.objects.for_user(user).filter(project=world.project),
    }


def test_a_change_says_who_made_it_and_what_moved_in_words(client, world):
    world.project.rag = Project.Rag.RED
    world.project.save()
    reprofile(world, 1)
    history = project_history(world.project, **_scope(world))
    allocation = next(entry for entry in history if entry.action == "Changed" and "Allocation" in entry.subject)
    assert allocation.who == "Officer Tester"
    assert [(c.label, c.old, c.new) for c in allocation.changes] == [("Resource", "£300,000.00", "£300,001.00")]
    project = next(entry for entry in history if entry.subject == "Project" and entry.action == "Changed")
    assert [(c.label, c.old, c.new) for c in project.changes] == [("Rag rating", "Amber", "Red")]
    assert project.who == "The service"  # saved outside a request, by no one signed in
    created = next(entry for entry in history if entry.subject == "Milestone ‘Family breakdown unit running’")
    assert ("Payment amount", "", "£50,000.00") in [(c.label, c.old, c.new) for c in created.changes]


def test_the_pages_make_the_same_queries_for_a_few_changes_as_for_many(client, world):
    client.force_login(world.users.officer)
    changes(client, world.project)
    _, rows, few = changes(client, world.project)
    reprofile(world, 70)
    _, many_rows, many = changes(client, world.project, "?page=2")
    assert len(many_rows) > len(rows)
    assert many == few


def test_a_partner_council_sees_its_own_money_s_changes_only(client, world):
    reprofile(world, 3)
    services.save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2015),
        resource=Decimal("300000.99"),
        capital=Decimal("0"),
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.officer,
        reason="Derbyshire re-profiled",
    )
    client.force_login(world.users.derbyshire)
    page, rows, _ = changes(client, world.project)
    assert "Resource: £300,000.00 → £300,000.99" in page
    assert "£300,001.00" not in page  # Harrow's re-profiling
    assert all("London Borough of Harrow" not in row for row in rows)
