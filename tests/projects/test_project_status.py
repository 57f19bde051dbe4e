"""An officer moves a project through its statuses, one legal move at a time,
always with a reason that is kept in the history."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from grants.money import refresh_balance
from grants.spend_returns import submit_spend_return
from projects.models import Milestone, Project, ProjectStatusChange


def url(project):
    return reverse("projects:status", kwargs={"project_pk": project.pk})


@pytest.fixture
def officer(client, world):
    client.force_login(world.users.officer)
    return client


def test_only_the_legal_next_statuses_are_offered(officer, world):
    page = officer.get(url(world.project)).content.decode()
    offered = re.findall(r'name="status" type="radio" value="([a-z]+)"', page)
    assert offered == ["closing", "withdrawn"]
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">New status</legend>' in page
    assert 'class="govuk-back-link"' in page


def test_an_officer_changes_the_status_with_a_reason(officer, world):
    response = officer.post(url(world.project), {"status": "closing", "reason": "  Final year  "})
    assert response.status_code == 302
    world.project.refresh_from_db()
    assert world.project.status == Project.Status.CLOSING
    change = ProjectStatusChange.objects.get(project=world.project)
    assert (change.old_status, change.new_status, change.reason, change.changed_by) == (
        "active",
        "closing",
        "Final year",
        world.users.officer,
    )
    page = officer.get(response["Location"]).content.decode()
    assert "Project R1-01 is now closing" in page
    assert "Project moved from Active to Closing: Final year" in page


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"status": "closed", "reason": "Done"}, "status", "Choose one of the statuses listed"),
        ({"status": "", "reason": "Done"}, "status", "Choose the project&#x27;s new status"),
        ({"status": "closing", "reason": " "}, "reason", "Give the reason for the change"),
        (
            {"status": "closing", "reason": "x" * 2001},
            "reason",
            "Reason for the change must be 2,000 characters or fewer",
        ),
    ],
)
def test_bad_input_changes_nothing(officer, world, data, field, message):
    response = officer.post(url(world.project), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#id_{field}">{message}</a>' in page
    world.project.refresh_from_db()
    assert world.project.status == Project.Status.ACTIVE
    assert not ProjectStatusChange.objects.exists()


def test_a_closed_project_offers_no_change(officer, world):
    world.project.set_status(Project.Status.WITHDRAWN, by=world.users.officer)
    page = officer.get(url(world.project)).content.decode()
    assert "A withdrawn project’s status cannot change." in page
    assert 'name="status"' not in page
    response = officer.post(url(world.project), {"status": "active", "reason": "Back again"})
    assert response.status_code == 200
    world.project.refresh_from_db()
    assert world.project.status == Project.Status.WITHDRAWN


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "harrow", "evaluator"])
def test_other_roles_cannot_change_the_status(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url(world.project)).status_code == 403
    assert client.post(url(world.project), {"status": "closing", "reason": "No"}).status_code == 403
    world.project.refresh_from_db()
    assert world.project.status == Project.Status.ACTIVE


def test_an_unknown_project_is_not_found(officer, world):
    assert officer.get(reverse("projects:status", kwargs={"project_pk": 999999})).status_code == 404


# Closure (issue 13): only with the money settled, or with a recorded exception.


def _closing(world):
    Project.objects.filter(pk=world.project.pk).update(status=Project.Status.CLOSING)
    world.project.refresh_from_db()


def test_an_unsettled_project_does_not_close_and_the_page_says_why(officer, world):
    _closing(world)
    page = officer.get(url(world.project)).content.decode()
    assert 'id="closure-problems"' in page
    assert "2 milestone payments of £90,000.00 committed and not yet paid" in page
    assert "No spend return for Q4 of 2015-16 from Derbyshire County Council" in page
    response = officer.post(url(world.project), {"status": "closed", "reason": "Programme ended"})
    assert response.status_code == 200
    assert "cannot close" in response.content.decode()
    world.project.refresh_from_db()
    assert world.project.status == Project.Status.CLOSING
    assert not ProjectStatusChange.objects.filter(new_status="closed").exists()


def test_an_unsettled_project_closes_with_a_recorded_exception(officer, world):
    _closing(world)
    response = officer.post(
        url(world.project),
        {
            "status": "closed",
            "reason": "Programme ended",
            "exception": "Harrow's unit was never recruited",
        },
    )
    assert response.status_code == 302
    world.project.refresh_from_db()
    assert world.project.status == Project.Status.CLOSED
    change = ProjectStatusChange.objects.get(new_status="closed")
    assert "Closed with an exception: Harrow's unit was never recruited" in change.reason
    assert "committed and not yet paid" in change.reason


def test_a_settled_project_closes_without_an_exception(officer, world):
    _closing(world)
    Milestone.objects.filter(project=world.project).update(payment_amount=None, allocation=None)
    for allocation in world.allocations.values():
        refresh_balance(allocation.pk)
        user = {world.derbyshire.pk: world.users.derbyshire, world.harrow.pk: world.users.harrow}.get(
            allocation.recipient_id, world.users.officer
        )
        submit_spend_return(allocation=allocation, by=user, quarter=4, spent=Decimal("0"), forecast=Decimal("0"))
    response = officer.post(url(world.project), {"status": "closed", "reason": "All settled"})
    assert response.status_code == 302
    world.project.refresh_from_db()
    assert world.project.status == Project.Status.CLOSED
