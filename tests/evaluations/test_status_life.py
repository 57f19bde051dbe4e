"""An evaluation's status life: only legal moves, each kept in its history with who and
why; and every change to a result or a rating kept in the audit history with who made it."""

import itertools

import pytest
from django.urls import reverse

from core.lifecycle import IllegalStatusChange
from evaluations.models import Evaluation, EvaluationStatusChange, EvidenceRating
from tests.evaluations.test_evaluation_form import form
from tests.evaluations.test_result_form import data
from tests.evaluations.test_result_form import edit_url as result_edit_url

Status = Evaluation.Status
LEGAL = [(old, new) for old, moves in Evaluation.TRANSITIONS.items() for new in moves]
ILLEGAL = [pair for pair in itertools.permutations(Status.values, 2) if pair not in LEGAL]


def edit_url(evaluation):
    return reverse("evaluations:edit", kwargs={"evaluation_pk": evaluation.pk})


def detail_url(evaluation):
    return reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk})


def in_status(evaluation, status):
    Evaluation.objects.filter(pk=evaluation.pk).update(status=status)
    evaluation.refresh_from_db()
    return evaluation


def test_the_moves_are_the_expected_ones():
    assert set(LEGAL) == {
        ("planned", "in_progress"),
        ("in_progress", "interim"),
        ("in_progress", "final"),
        ("interim", "final"),
        ("final", "in_progress"),
    }


@pytest.mark.parametrize("old, new", LEGAL)
def test_every_legal_move_works_and_is_kept_with_who_and_why(world, old, new):
    evaluation = in_status(world.evaluation, old)
    officer = world.users.officer
    evaluation.set_status(new, by=officer, reason="Report received")
    evaluation.refresh_from_db()
    assert evaluation.status == new
    change = evaluation.status_changes.get()
    assert (change.old_status, change.new_status, change.changed_by, change.reason) == (
        old,
        new,
        officer,
        "Report received",
    )
    latest = evaluation.history.latest()
    assert (latest.status, latest.history_user) == (new, officer)


@pytest.mark.parametrize("old, new", ILLEGAL)
def test_every_illegal_move_is_refused_and_writes_nothing(world, old, new):
    evaluation = in_status(world.evaluation, old)
    with pytest.raises(IllegalStatusChange):
        evaluation.set_status(new, by=world.users.officer, reason="Because")
    evaluation.refresh_from_db()
    assert evaluation.status == old
    assert not EvaluationStatusChange.objects.exists()


@pytest.mark.parametrize(
    "persona, reason, message",
    [
        ("evaluator", "Corrected report", "Only a programme officer can reopen"),
        ("officer", "  ", "Give the reason for reopening"),
    ],
)
def test_only_an_officer_reopens_a_published_evaluation_and_says_why(world, persona, reason, message):
    evaluation = in_status(world.evaluation, Status.FINAL_PUBLISHED)
    with pytest.raises(IllegalStatusChange, match=message):
        evaluation.set_status(Status.IN_PROGRESS, by=getattr(world.users, persona), reason=reason)
    evaluation.refresh_from_db()
    assert evaluation.status == Status.FINAL_PUBLISHED
    assert not EvaluationStatusChange.objects.exists()


def test_setting_up_an_evaluation_records_its_first_status(client, world):
    client.force_login(world.users.officer)
    client.post(reverse("evaluations:create"), form(world))
    evaluation = Evaluation.objects.get(title="Evaluation of family hubs")
    change = evaluation.status_changes.get()
    assert (change.old_status, change.new_status, change.changed_by) == ("", "in_progress", world.users.officer)


def test_the_page_moves_the_status_with_a_reason_and_shows_the_history(client, world):
    client.force_login(world.users.evaluator)
    response = client.post(
        edit_url(world.evaluation),
        form(
            world,
            title=world.evaluation.title,
            status="in_progress",
            status_reason="Fieldwork has started",
        ),
    )
    assert response.status_code == 302
    change = world.evaluation.status_changes.get()
    assert (change.old_status, change.new_status, change.changed_by, change.reason) == (
        "planned",
        "in_progress",
        world.users.evaluator,
        "Fieldwork has started",
    )
    client.force_login(world.users.officer)
    page = client.get(detail_url(world.evaluation)).content.decode()
    assert "Status history" in page
    assert "Planned to In progress" in page and "Fieldwork has started" in page
    assert (world.users.evaluator.get_full_name() or world.users.evaluator.username) in page


def test_the_page_offers_only_the_moves_allowed(client, world):
    client.force_login(world.users.evaluator)
    page = client.get(edit_url(world.evaluation)).content.decode()
    assert 'value="planned"' in page and 'value="in_progress"' in page
    assert 'value="interim"' not in page and 'value="final"' not in page


def test_the_page_refuses_an_illegal_move_with_a_message(client, world):
    in_status(world.evaluation, Status.IN_PROGRESS)
    client.force_login(world.users.evaluator)
    response = client.post(edit_url(world.evaluation), form(world, title="Renamed", status="planned"))
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert "An evaluation cannot move from In progress to Planned." in html
    world.evaluation.refresh_from_db()
    assert (world.evaluation.status, world.evaluation.title) == ("in_progress", "Evaluation of Reclaiming Social Work")
    assert not EvaluationStatusChange.objects.exists()


def test_an_evaluator_cannot_reopen_a_published_evaluation_on_the_page(client, world):
    in_status(world.evaluation, Status.FINAL_PUBLISHED)
    client.force_login(world.users.evaluator)
    response = client.post(
        edit_url(world.evaluation),
        form(
            world,
            title=world.evaluation.title,
            status="in_progress",
            status_reason="Typo in table 3",
        ),
    )
    assert response.status_code == 200
    assert "Only a programme officer can reopen" in response.content.decode()
    world.evaluation.refresh_from_db()
    assert world.evaluation.status == "final"


def test_an_officer_reopens_a_published_evaluation_on_the_page_with_a_reason(client, world):
    in_status(world.evaluation, Status.FINAL_PUBLISHED)
    client.force_login(world.users.officer)
    values = form(world, title=world.evaluation.title, projects=world.project.reference, status="in_progress")
    assert "Give the reason for reopening" in client.post(edit_url(world.evaluation), values).content.decode()
    response = client.post(edit_url(world.evaluation), {**values, "status_reason": "Corrected final report due"})
    assert response.status_code == 302
    change = world.evaluation.status_changes.get()
    assert (change.old_status, change.new_status, change.reason) == (
        "final",
        "in_progress",
        "Corrected final report due",
    )


def test_saving_without_changing_the_status_writes_no_history(client, world):
    client.force_login(world.users.evaluator)
    response = client.post(edit_url(world.evaluation), form(world, title="Renamed", status="planned"))
    assert response.status_code == 302
    world.evaluation.refresh_from_db()
    assert world.evaluation.title == "Renamed"
    assert not EvaluationStatusChange.objects.exists()


def test_a_result_edit_is_kept_in_the_audit_history_with_who_made_it(client, world):
    client.force_login(world.users.evaluator)
    before = world.result.history.count()
    response = client.post(result_edit_url(world.result), data(world, authority="", followup_value="30"))
    assert response.status_code == 302
    assert world.result.history.count() == before + 1
    latest = world.result.history.latest()
    assert (str(latest.followup_value), latest.history_user) == ("30.0000", world.users.evaluator)


def test_a_rating_edit_is_kept_in_the_audit_history_with_who_made_it(client, world):
    url = reverse("evaluations:rating", kwargs={"evaluation_pk": world.evaluation.pk})
    client.force_login(world.users.officer)
    client.post(url, {"rating": "maryland_sms:2", "rationale": "No comparison group."})
    client.force_login(world.users.admin)
    client.post(url, {"rating": "maryland_sms:3", "rationale": "Matched comparison authorities."})
    rating = EvidenceRating.objects.get(evaluation=world.evaluation)
    kept = [(copy.value, copy.history_user) for copy in rating.history.order_by("history_date", "history_id")]
    assert kept == [("2", world.users.officer), ("3", world.users.admin)]
