"""A recipient's start page: the projects its organisation takes part in, its
role in each, and its own milestones that need evidence."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import Milestone, ProjectPartner
from projects.services import review_milestone, submit_milestone
from projects.views import TO_DO_PER_PAGE, WAITING_SHOWN

URL = reverse("projects:yours")
TO_DO = "Milestones that need your evidence"


def section(page, caption):
    start = page.index(f">{caption}</caption>")
    return page[start : page.index("</table>", start)]


def test_the_lead_sees_its_project_as_lead(client, world):
    client.force_login(world.users.morninglane)
    page = client.get(URL).content.decode()
    projects = section(page, "Projects your organisation takes part in")
    assert re.search(
        r"R1-01 Reclaiming Social Work</a></td>\s*<td[^>]*>Morning Lane Associates</td>\s*<td[^>]*>Lead organisation</td>",
        projects,
    )
    assert "R1-02" not in page
    # The lead delivers no milestone itself here: Derbyshire's and Harrow's are theirs to submit.
    to_do = section(page, "Milestones that need your evidence")
    assert "Family breakdown unit running" not in to_do and "Harrow unit recruited" not in to_do


def test_a_partner_sees_its_role_and_only_its_own_milestones(client, world):
    ProjectPartner.objects.create(project=world.other_project, organisation=world.harrow, role="delivery_partner")
    client.force_login(world.users.harrow)
    page = client.get(URL).content.decode()
    projects = section(page, "Projects your organisation takes part in")
    assert re.search(
        r"R1-01 Reclaiming Social Work</a></td>\s*<td[^>]*>Morning Lane Associates</td>\s*<td[^>]*>Partner authority</td>",
        projects,
    )
    assert re.search(
        r"R1-02 Kent family hubs</a></td>\s*<td[^>]*>Kent County Council</td>\s*<td[^>]*>Delivery partner</td>",
        projects,
    )
    to_do = section(page, "Milestones that need your evidence")
    assert "Harrow unit recruited" in to_do
    assert reverse("projects:milestone", kwargs={"milestone_pk": world.harrow_milestone.pk}) in to_do
    assert "Overdue" in to_do
    assert "Family breakdown unit running" not in page
    assert "Hubs open" not in page  # Kent's milestone, though Harrow now partners the project


def test_returned_milestones_need_action_and_submitted_ones_wait(client, world):
    today = timezone.localdate()
    later = Milestone.objects.create(
        project=world.project,
        organisation=world.harrow,
        title="Second Harrow milestone",
        due_date=today + dt.timedelta(days=60),
    )
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="Recruited")
    review_milestone(
        milestone=world.harrow_milestone, by=world.users.officer, decision="returned", reason="No contracts"
    )
    submit_milestone(milestone=later, by=world.users.harrow, narrative="Done early")
    client.force_login(world.users.harrow)
    page = client.get(URL).content.decode()
    to_do = section(page, "Milestones that need your evidence")
    assert "Harrow unit recruited" in to_do and "Returned" in to_do and "Overdue" in to_do
    assert "Second Harrow milestone" not in to_do
    assert "Second Harrow milestone" in section(page, "Submitted, waiting for review")


def test_an_organisation_with_no_projects_sees_an_empty_page(client, world):
    client.force_login(world.users.outsider)
    page = client.get(URL).content.decode()
    assert "Your organisation does not take part in any project yet." in page
    assert "None of your organisation’s milestones need evidence now." in page


@pytest.mark.parametrize("persona", ["officer", "viewer", "finance", "evaluator", "admin"])
def test_other_roles_are_refused(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(URL).status_code == 403


def test_the_number_of_queries_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    for n in range(15):
        Milestone.objects.create(
            project=world.project, organisation=world.harrow, title=f"Extra {n}", due_date=dt.date(2016, 1, 1)
        )
    client.force_login(world.users.harrow)
    with django_assert_max_num_queries(11):  # with the counts of the paged table and of the milestones waiting
        page = client.get(URL).content.decode()
    assert page.count("Extra ") == 15


def test_the_milestones_waiting_for_review_are_the_first_few_and_how_many_more(client, world):
    for n in range(WAITING_SHOWN + 2):
        Milestone.objects.create(
            project=world.project,
            organisation=world.harrow,
            title=f"Sent {n:03d}",
            due_date=dt.date(2014, 1, 1),
            status=Milestone.Status.SUBMITTED,
        )
    client.force_login(world.users.harrow)
    page = client.get(URL).content.decode()
    assert page.count("Sent ") == WAITING_SHOWN and f"Sent {WAITING_SHOWN - 1:03d}" in page
    assert "And 2 more submitted, waiting for review." in page


def test_the_milestones_that_need_evidence_are_a_page_at_a_time_the_earliest_due_first(client, world):
    start = dt.date(2016, 1, 1)
    for n in range(TO_DO_PER_PAGE + 3):
        Milestone.objects.create(
            project=world.project, organisation=world.harrow, title=f"Due {n:03d}", due_date=start + dt.timedelta(n)
        )
    client.force_login(world.users.harrow)
    first = section(client.get(URL).content.decode(), "Milestones that need your evidence")
    # Harrow's own milestone of 2015 is due first; then the earliest of those added.
    assert "Harrow unit recruited" in first and first.count("Due ") == TO_DO_PER_PAGE - 1
    assert f"Due {TO_DO_PER_PAGE - 2:03d}" in first and f"Due {TO_DO_PER_PAGE - 1:03d}" not in first
    page = client.get(URL).content.decode()
    assert f"Milestones 1 to {TO_DO_PER_PAGE} of {TO_DO_PER_PAGE + 4} that need your evidence" in page
    assert "to_do_page=2#milestones-that-need-your-evidence-caption" in page
    second = client.get(URL, {"to_do_page": "2"}).content.decode()
    rest = section(second, "Milestones that need your evidence")
    assert [f"Due {n:03d}" in rest for n in range(TO_DO_PER_PAGE + 3)] == [n >= TO_DO_PER_PAGE - 1 for n in range(23)]
    # A page past the end, however far, or not a number, is the nearest page.
    for past_the_end in ("99", "9" * 400):
        assert section(client.get(URL, {"to_do_page": past_the_end}).content.decode(), TO_DO) == rest
    for not_a_page in ("x", "-1", "0", "1.5"):
        assert section(client.get(URL, {"to_do_page": not_a_page}).content.decode(), TO_DO) == first
