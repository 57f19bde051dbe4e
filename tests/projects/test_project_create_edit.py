"""Officers add and edit projects; every field gets a clear message when it is wrong."""

import datetime as dt

import pytest
from django.urls import reverse

from projects.models import Project, ProjectStatusChange

CREATE = reverse("projects:create")


def edit_url(project):
    return reverse("projects:edit", kwargs={"project_pk": project.pk})


def valid(world, **changes):
    data = {
        "title": "Family Safeguarding",
        "reference": "R2-01",
        "summary": "Hertfordshire's model, extended.",
        "programme": world.programme.pk,
        "lead_organisation": world.kent.pk,
        "themes": [world.theme.pk],
        "start_date": "2017-04-01",
        "end_date": "31/03/2019",
        "rag": "green",
        "rag_reason": "On track",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def officer(client, world):
    client.force_login(world.users.officer)
    return client


def test_the_form_page_has_a_back_link_and_visible_labels(officer, world):
    page = officer.get(CREATE).content.decode()
    assert f'<a href="{reverse("projects:list")}" class="govuk-back-link">Back</a>' in page
    for field, label in (
        ("title", "Title"),
        ("reference", "Reference"),
        ("summary", "Summary"),
        ("programme", "Programme"),
        ("lead_organisation", "Lead organisation"),
        ("rag_reason", "Reason for the RAG rating"),
    ):
        assert f'<label class="govuk-label" for="id_{field}">{label}</label>' in page
    for field, legend in (("start_date", "Start date"), ("end_date", "End date")):
        assert f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{legend}</legend>' in page
        for box in ("day", "month", "year"):
            assert f'for="id_{field}-{box}">{box.capitalize()}</label>' in page
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">RAG rating</legend>' in page
    assert '<input class="govuk-radios__input" id="id_rag" name="rag" type="radio" value="" checked>' in page
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Themes</legend>' in page
    assert "There is a problem" not in page


def test_an_officer_adds_a_project(officer, world):
    response = officer.post(CREATE, valid(world))
    project = Project.objects.get(reference="R2-01")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", kwargs={"project_pk": project.pk})
    assert project.title == "Family Safeguarding"
    assert project.lead_organisation == world.kent
    assert project.programme == world.programme
    assert list(project.themes.all()) == [world.theme]
    assert (project.start_date, project.end_date) == (dt.date(2017, 4, 1), dt.date(2019, 3, 31))
    assert (project.rag, project.rag_reason) == ("green", "On track")
    assert project.rag_updated_at is not None
    assert project.status == Project.Status.PROPOSED
    history = ProjectStatusChange.objects.get(project=project)
    assert (history.old_status, history.new_status, history.changed_by) == ("", "proposed", world.users.officer)
    page = officer.get(response["Location"]).content.decode()
    assert "Project R2-01 ‘Family Safeguarding’ added" in page
    assert "govuk-notification-banner--success" in page


def test_an_admin_may_add_a_project_too(client, world):
    client.force_login(world.users.admin)
    assert client.post(CREATE, valid(world, rag="", rag_reason="")).status_code == 302
    project = Project.objects.get(reference="R2-01")
    assert project.rag == "" and project.rag_updated_at is None


def test_a_rag_rating_without_a_reason_is_refused(officer, world):
    response = officer.post(CREATE, valid(world, rag="red", rag_reason="  "))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert '<a href="#id_rag_reason">Give the reason for the RAG rating</a>' in page
    assert "govuk-textarea--error" in page
    assert not Project.objects.filter(reference="R2-01").exists()


def test_an_empty_form_names_every_missing_field(officer, world):
    before = Project.objects.count()
    page = officer.post(CREATE, {}).content.decode()
    for message in (
        "Enter the project&#x27;s title",
        "Enter the project&#x27;s reference",
        "Enter a summary of the project",
        "Choose the programme",
        "Choose the lead organisation",
        "Enter the start date",
        "Enter the end date",
    ):
        assert message in page, message
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: Add a project" in page
    assert Project.objects.count() == before


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": "x" * 201}, "title", "Title must be 200 characters or fewer"),
        ({"reference": "R" * 31}, "reference", "Reference must be 30 characters or fewer"),
        ({"summary": "x" * 5001}, "summary", "Summary must be 5,000 characters or fewer"),
        ({"rag_reason": "x" * 2001}, "rag_reason", "Reason for the RAG rating must be 2,000 characters or fewer"),
        ({"reference": "R1-01"}, "reference", "Another project already has this reference"),
        ({"start_date": "31/02/2016"}, "start_date", "The start date must be a real date"),
        ({"end_date": "next year"}, "end_date", "The end date must be a real date"),
        ({"start_date": "2019-04-01"}, "end_date", "The end date must be the same as or after the start date"),
        ({"programme": "999999"}, "programme", "Choose a programme from the list"),
        ({"lead_organisation": "abc"}, "lead_organisation", "Choose a lead organisation from the list"),
        ({"rag": "purple"}, "rag", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_adds_nothing(officer, world, changes, field, message):
    before = Project.objects.count()
    response = officer.post(CREATE, valid(world, **changes))
    page = response.content.decode()
    assert response.status_code == 200
    first_box = "-day" if field.endswith("_date") else ""  # a date's summary link goes to its day box
    assert f'<a href="#id_{field}{first_box}">{message}' in page
    assert f'id="id_{field}-error"' in page
    assert Project.objects.count() == before


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "evaluator", "outsider"])
def test_other_roles_cannot_add_projects(client, world, persona):
    client.force_login(getattr(world.users, persona))
    before = Project.objects.count()
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, valid(world)).status_code == 403
    assert Project.objects.count() == before


def test_an_officer_edits_a_project(officer, world):
    project = world.project
    page = officer.get(edit_url(project)).content.decode()
    assert 'value="Reclaiming Social Work"' in page
    assert f'<a href="{reverse("projects:detail", kwargs={"project_pk": project.pk})}" class="govuk-back-link">' in page
    response = officer.post(
        edit_url(project),
        valid(
            world,
            title="Reclaiming Social Work (revised)",
            reference="R1-01",
            lead_organisation=world.morning_lane.pk,
            themes=None,
            rag="red",
            rag_reason="Two councils have left",
        ),
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Reclaiming Social Work (revised)"
    assert (project.rag, project.rag_reason) == ("red", "Two councils have left")
    assert project.rag_updated_at is not None
    assert not project.themes.exists()
    assert project.status == Project.Status.ACTIVE  # status changes only through its own form


def test_saving_without_touching_the_rating_keeps_its_date(officer, world):
    project = world.project
    data = valid(
        world,
        reference="R1-01",
        lead_organisation=world.morning_lane.pk,
        rag="amber",
        rag_reason="Recruitment is slow",
        title="New title",
    )
    assert officer.post(edit_url(project), data).status_code == 302
    project.refresh_from_db()
    assert project.title == "New title" and project.rag_updated_at is None


def test_a_partner_cannot_also_be_the_lead(officer, world):
    page = officer.post(
        edit_url(world.project), valid(world, reference="R1-01", lead_organisation=world.harrow.pk)
    ).content.decode()
    assert "London Borough of Harrow is a partner of this project, so it cannot also be its lead" in page
    world.project.refresh_from_db()
    assert world.project.lead_organisation == world.morning_lane


@pytest.mark.parametrize("persona", ["finance", "viewer", "morninglane", "harrow"])
def test_other_roles_cannot_edit(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(edit_url(world.project)).status_code == 403
    assert client.post(edit_url(world.project), valid(world, reference="R1-01", title="Hacked")).status_code == 403
    world.project.refresh_from_db()
    assert world.project.title == "Reclaiming Social Work"


def test_editing_an_unknown_project_is_not_found(officer, world):
    assert officer.get(reverse("projects:edit", kwargs={"project_pk": 999999})).status_code == 404
