"""Setting up and changing an evaluation: officers do everything; an evaluator
changes only its own evaluations, and not who evaluates them or what."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from evaluations.models import Evaluation
from tests.factories import UserFactory

CREATE = reverse("evaluations:create")


def edit_url(evaluation):
    return reverse("evaluations:edit", kwargs={"evaluation_pk": evaluation.pk})


def form(world, **changes):
    values = {
        "title": "Evaluation of family hubs",
        "projects": world.other_project.reference,
        "evaluator_organisation": world.university.pk,
        "evaluators": [world.users.evaluator.pk],
        "design": "ba_comparison",
        "status": "in_progress",
        "summary": "Compares Kent with Surrey.",
        "start_date": "01/04/2015",
        "end_date": "31/03/2017",
    }
    values.update(changes)
    return values


def test_an_officer_sets_up_an_evaluation_and_assigns_people(client, world):
    client.force_login(world.users.officer)
    response = client.post(CREATE, form(world))
    evaluation = Evaluation.objects.get(title="Evaluation of family hubs")
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluations:detail", kwargs={"evaluation_pk": evaluation.pk})
    assert list(evaluation.projects.all()) == [world.other_project]
    assert list(evaluation.evaluators.all()) == [world.users.evaluator]
    assert (evaluation.design, evaluation.status, str(evaluation.end_date)) == (
        "ba_comparison",
        "in_progress",
        "2017-03-31",
    )


def test_an_assigned_evaluator_changes_design_and_status_of_its_evaluation(client, world):
    client.force_login(world.users.evaluator)
    page = client.get(edit_url(world.evaluation)).content.decode()
    assert 'name="design"' in page and 'name="evaluators"' not in page and 'name="projects"' not in page
    response = client.post(
        edit_url(world.evaluation),
        form(
            world,
            title="Evaluation of Reclaiming Social Work",
            design="quasi",
            status="in_progress",
            projects=world.other_project.reference,
            evaluators=[],  # ignored: not the evaluator's to change
        ),
    )
    assert response.status_code == 302
    world.evaluation.refresh_from_db()
    assert (world.evaluation.design, world.evaluation.status) == ("quasi", "in_progress")
    assert list(world.evaluation.projects.all()) == [world.project]
    assert list(world.evaluation.evaluators.all()) == [world.users.evaluator]


def test_an_evaluator_cannot_change_an_evaluation_not_assigned_to_it(client, world):
    client.force_login(world.users.evaluator)
    assert client.get(edit_url(world.other_evaluation)).status_code == 404
    response = client.post(edit_url(world.other_evaluation), form(world, design="rct"))
    assert response.status_code == 404
    world.other_evaluation.refresh_from_db()
    assert world.other_evaluation.design == "qualitative"
    assert client.get(CREATE).status_code == 403


@pytest.mark.parametrize("persona", ["viewer", "finance", "morninglane", "derbyshire", "outsider"])
def test_others_change_nothing(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.post(edit_url(world.evaluation), form(world, design="rct")).status_code == 403
    assert client.post(CREATE, form(world)).status_code == 403
    world.evaluation.refresh_from_db()
    assert world.evaluation.design == "before_after"
    assert not Evaluation.objects.filter(title="Evaluation of family hubs").exists()


def test_people_assigned_must_work_for_the_evaluator_organisation(client, world):
    stranger = UserFactory(role=Role.EVALUATOR, organisation=world.kent, first_name="Pat", last_name="Other")
    client.force_login(world.users.officer)
    response = client.post(CREATE, form(world, evaluators=[stranger.pk]))
    assert "Pat Other does not work for Example University: choose people from the evaluator organisation" in (
        response.content.decode()
    )
    assert not Evaluation.objects.filter(title="Evaluation of family hubs").exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ""}, "Enter the title of the evaluation"),
        ({"projects": ""}, "Enter the reference of at least one project"),
        ({"projects": " ,\n "}, "Enter the reference of at least one project"),
        ({"projects": "NO-SUCH-PROJECT"}, "No project has the reference NO-SUCH-PROJECT: copy each reference"),
        ({"projects": "x" * 5001}, "Enter at most 5,000 characters of project references"),
        ({"evaluator_organisation": ""}, "Choose the organisation that evaluates"),
        ({"design": "vibes"}, "Choose the design of the evaluation"),
        ({"status": ""}, "Choose the status of the evaluation"),
        ({"end_date": "01/01/2015"}, "The end date must be on or after the start date"),
        ({"start_date": "31/02/2015"}, "The start date must be a real date"),
        ({"evaluators": [str(10**9)]}, "Choose people from the list"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(client, world, changes, message):
    client.force_login(world.users.officer)
    response = client.post(CREATE, form(world, **changes))
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html and message in html
    assert Evaluation.objects.count() == 2


def test_the_detail_page_offers_the_change_link_only_to_editors(client, world):
    link = edit_url(world.evaluation)
    for persona, shown in (("officer", True), ("evaluator", True), ("viewer", False), ("derbyshire", False)):
        client.force_login(getattr(world.users, persona))
        html = client.get(reverse("evaluations:detail", kwargs={"evaluation_pk": world.evaluation.pk})).content.decode()
        assert (link in html) == shown, persona


def test_projects_are_named_by_their_references_in_any_case_each_once_and_shown_again_on_change(client, world):
    """A programme has a thousand projects: the form takes their references rather than offering a checkbox
    for each, so it is the same size however many there are."""
    client.force_login(world.users.officer)
    typed = f"{world.project.reference.lower()},\n{world.other_project.reference}  {world.project.reference}"
    response = client.post(CREATE, form(world, projects=typed))
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(title="Evaluation of family hubs")
    assert set(evaluation.projects.all()) == {world.project, world.other_project}

    page = client.get(edit_url(evaluation)).content.decode()
    assert 'type="checkbox" name="projects"' not in page
    shown = re.search(r'<textarea name="projects"[^>]*>\s*([^<]*)</textarea>', page).group(1)
    assert sorted(shown.split()) == sorted([world.project.reference, world.other_project.reference])


def test_unknown_references_are_named_and_nothing_is_written(client, world):
    client.force_login(world.users.officer)
    typed = "\n".join([world.project.reference, *(f"NOPE-{n}" for n in range(7))])
    response = client.post(CREATE, form(world, projects=typed))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No project has the reference NOPE-0, NOPE-1, NOPE-2, NOPE-3, NOPE-4 and 2 more" in html
    assert not Evaluation.objects.filter(title="Evaluation of family hubs").exists()
