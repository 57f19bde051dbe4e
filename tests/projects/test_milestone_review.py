"""An officer accepts a submission or returns it with a reason."""

import pytest
from django.urls import reverse

from projects.models import Milestone, MilestoneReview, MilestoneStatusChange
from projects.services import submit_milestone


def url(milestone):
    return reverse("projects:milestone-review", kwargs={"milestone_pk": milestone.pk})


def page_url(milestone):
    return reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk})


@pytest.fixture
def submitted(world):
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="Recruited")
    return world.harrow_milestone


@pytest.fixture
def officer(client, world):
    client.force_login(world.users.officer)
    return client


def test_the_review_form_shows_accept_and_return(officer, submitted):
    page = officer.get(page_url(submitted)).content.decode()
    assert f'action="{url(submitted)}"' in page
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Decision</legend>' in page
    assert '<input class="govuk-radios__input" id="id_decision" name="decision" type="radio" value="accepted">' in page
    assert '<label class="govuk-label govuk-radios__label" for="id_decision">Accept</label>' in page
    assert '<label class="govuk-label govuk-radios__label" for="id_decision_1">Return</label>' in page
    assert '<label class="govuk-label" for="id_reason">Reason</label>' in page


def test_an_officer_accepts(officer, world, submitted):
    response = officer.post(url(submitted), {"decision": "accepted", "reason": ""})
    assert response.status_code == 302 and response["Location"] == page_url(submitted)
    review = MilestoneReview.objects.get()
    assert (review.decision, review.reviewed_by, review.submission.milestone) == (
        "accepted",
        world.users.officer,
        submitted,
    )
    submitted.refresh_from_db()
    assert submitted.status == Milestone.Status.ACCEPTED
    page = officer.get(page_url(submitted)).content.decode()
    assert "‘Harrow unit recruited’ accepted. A finance officer can now release its payment of £40,000.00" in page
    assert f'action="{url(submitted)}"' not in page  # nothing left to review


def test_an_officer_returns_with_a_reason_the_recipient_then_sees(officer, client, world, submitted):
    response = officer.post(url(submitted), {"decision": "returned", "reason": "Attach the signed contracts"})
    assert response.status_code == 302
    review = MilestoneReview.objects.get()
    assert (review.decision, review.reason) == ("returned", "Attach the signed contracts")
    submitted.refresh_from_db()
    assert submitted.status == Milestone.Status.RETURNED
    change = MilestoneStatusChange.objects.get(milestone=submitted, new_status="returned")
    assert change.reason == "Attach the signed contracts" and change.changed_by == world.users.officer
    client.force_login(world.users.harrow)
    page = client.get(page_url(submitted)).content.decode()
    assert "Attach the signed contracts" in page
    assert "Submit the evidence again" in page


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"decision": "returned", "reason": "  "}, "reason", "Say why the submission is returned"),
        ({"reason": "Fine"}, "decision", "Choose whether to accept or return the submission"),
        ({"decision": "maybe"}, "decision", "Choose whether to accept or return the submission"),
        ({"decision": "returned", "reason": "x" * 5001}, "reason", "Reason must be 5,000 characters or fewer"),
    ],
)
def test_bad_input_changes_nothing(officer, submitted, data, field, message):
    response = officer.post(url(submitted), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#id_{field}">{message}</a>' in page
    assert f'id="id_{field}-error"' in page
    assert not MilestoneReview.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == Milestone.Status.SUBMITTED


def test_a_milestone_with_nothing_to_review_gets_a_message(officer, world):
    response = officer.post(url(world.harrow_milestone), {"decision": "accepted"})
    assert response.status_code == 200
    assert "This milestone has no submission waiting for review" in response.content.decode()
    assert not MilestoneReview.objects.exists()


def test_a_get_goes_back_to_the_milestone_page(officer, submitted):
    response = officer.get(url(submitted))
    assert response.status_code == 302 and response["Location"] == page_url(submitted)


@pytest.mark.parametrize("persona", ["finance", "viewer", "harrow", "morninglane", "evaluator", "outsider"])
def test_only_officers_review(client, world, submitted, persona):
    client.force_login(getattr(world.users, persona))
    assert client.post(url(submitted), {"decision": "accepted"}).status_code == 403
    assert not MilestoneReview.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == Milestone.Status.SUBMITTED


def test_an_unknown_milestone_is_not_found(officer, world):
    assert (
        officer.post(
            reverse("projects:milestone-review", kwargs={"milestone_pk": 999999}), {"decision": "accepted"}
        ).status_code
        == 404
    )
