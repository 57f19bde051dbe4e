"""Evidence that belongs (issue 16): a result is recorded only for an organisation that takes
part in a project evaluated (its lead or a partner), for the whole project, or for a named
comparison group, which every page then says it is. The rule is OutcomeResult.clean's, so
full_clean, the form, save_result and the admin refuse alike (the import: tests/imports/test_results.py).
Rows recorded before the rule are kept and listed for an officer."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from evaluations.models import EvidenceRating, OutcomeResult
from evaluations.services import save_result
from grants.models import Organisation
from tests.evaluations.test_evaluation_form import edit_url as evaluation_edit_url
from tests.evaluations.test_evaluation_form import form as evaluation_form
from tests.evaluations.test_result_form import create_url, data, edit_url, snapshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OUTSIDE = (
    "Kent County Council does not take part in Reclaiming Social Work: a result is for the project's lead or one "
    "of its partners, or for the whole project (no organisation). If the figure is a comparison group's, name the "
    "comparison group"
)
GROUP = "Statistical neighbours of Derbyshire"


def detail(client, world):
    return client.get(reverse("evaluations:detail", kwargs={"evaluation_pk": world.evaluation.pk})).content.decode()


def result_for(world, authority, **fields):
    return OutcomeResult(
        evaluation=world.evaluation,
        measure=world.measure,
        authority=authority,
        baseline_value=Decimal("20"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
        **fields,
    )


# The model: full_clean, and so save_result


def test_full_clean_refuses_an_organisation_outside_the_project_naming_it_and_the_project(world):
    with pytest.raises(ValidationError) as refused:
        result_for(world, world.kent).full_clean()
    assert refused.value.message_dict == {"authority": [OUTSIDE]}
    with pytest.raises(ValidationError, match="does not take part in Reclaiming Social Work"):
        save_result(result=result_for(world, world.kent), by=world.users.officer)
    assert OutcomeResult.objects.count() == 2
    # The project's lead (a company) and its partners pass.
    for taking_part in (world.morning_lane, world.harrow):
        result_for(world, taking_part).full_clean()


def test_the_message_names_every_project_of_an_evaluation_of_several(world):
    world.evaluation.projects.add(world.other_project)
    surrey = Organisation.objects.get(org_id="GB-LAE-SRY")
    with pytest.raises(
        ValidationError, match="Surrey County Council does not take part in Kent family hubs or Reclaiming"
    ):
        result_for(world, surrey).full_clean()
    result_for(world, world.kent).full_clean()  # Kent leads the second project


def test_a_comparison_group_may_name_any_organisation_or_none(world):
    result_for(world, world.kent, comparison_group=GROUP).full_clean()
    result_for(world, None, comparison_group=GROUP).full_clean()  # beside the project's own overall result
    blank = result_for(world, world.kent, comparison_group="   ")
    with pytest.raises(ValidationError, match="does not take part"):
        blank.full_clean()  # spaces name no group


# The form


def test_the_form_refuses_an_organisation_outside_the_project_shows_why_and_writes_nothing(client, world):
    client.force_login(world.users.evaluator)
    before = snapshot()
    response = client.post(create_url(world.evaluation), data(world, authority=world.kent.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and 'href="#id_authority"' in page
    assert OUTSIDE.replace("'", "&#x27;") in page
    assert snapshot() == before
    # Nor may a result already recorded be moved outside the project.
    response = client.post(edit_url(world.result), data(world, authority=world.kent.pk))
    assert OUTSIDE.replace("'", "&#x27;") in response.content.decode()
    assert snapshot() == before


def test_a_result_for_the_lead_or_a_partner_is_recorded(client, world):
    client.force_login(world.users.evaluator)
    for taking_part in (world.morning_lane, world.harrow):
        response = client.post(create_url(world.evaluation), data(world, authority=taking_part.pk))
        assert response.status_code == 302, taking_part
        recorded = OutcomeResult.objects.get(evaluation=world.evaluation, authority=taking_part)
        assert (recorded.comparison_group, recorded.recorded_by) == ("", world.users.evaluator)


def test_a_comparison_groups_result_for_an_organisation_outside_is_recorded_and_shown_as_one(client, world):
    client.force_login(world.users.evaluator)
    response = client.post(
        create_url(world.evaluation), data(world, authority=world.kent.pk, comparison_group=f"  {GROUP} ")
    )
    assert response.status_code == 302
    recorded = OutcomeResult.objects.get(evaluation=world.evaluation, authority=world.kent)
    assert recorded.comparison_group == GROUP
    assert recorded.where == f"Comparison group: {GROUP} (Kent County Council)"
    page = detail(client, world)
    results = page[page.index('id="results"') : page.index('id="reports"')]
    at = results.index(GROUP)
    row = results[results.rindex("<tr", 0, at) : results.index("</tr>", at)]
    assert "Comparison group</strong>" in row and "Kent County Council" in row and "Not the project's figure" in row
    assert "Results for organisations outside the project" not in page
    edit_page = client.get(edit_url(recorded)).content.decode()
    assert f"Change the result for {world.measure.name} (comparison group: {GROUP})" in edit_page
    # A second figure for the same group and measure is refused like any duplicate.
    response = client.post(create_url(world.evaluation), data(world, authority=world.kent.pk, comparison_group=GROUP))
    assert f"already has a result for {world.measure.name} for the comparison group {GROUP}" in (
        response.content.decode()
    )


# The admin


def test_the_admin_refuses_an_organisation_outside_the_project(client, world):
    admin = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    before = snapshot()
    response = client.post(
        reverse("admin:evaluations_outcomeresult_add"),
        {
            "evaluation": world.evaluation.pk,
            "measure": world.measure.pk,
            "authority": world.kent.pk,
            "comparison_group": "",
            "baseline_value": "20",
            "baseline_period_start": "2014-04-01",
            "baseline_period_end": "2015-03-31",
            "significance": "not_tested",
            "unit": "",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["authority"] == [OUTSIDE]
    assert snapshot() == before


def test_a_rating_saved_in_the_admin_records_who_rated(client, world):
    admin = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:evaluations_evidencerating_add"),
        {"evaluation": world.evaluation.pk, "scale": "maryland_sms", "value": "3", "rationale": "Matched groups."},
    )
    assert response.status_code == 302
    rating = EvidenceRating.objects.get()
    assert rating.rated_by == admin and rating.history.get().history_user == admin


# Rows recorded before the rule: kept, and listed for an officer


def test_results_outside_the_project_are_kept_and_listed_for_an_officer(client, world):
    outside = result_for(world, world.kent)
    outside.save()  # as recorded before the rule
    result_for(world, world.harrow).save()
    result_for(world, world.kent, comparison_group=GROUP).save()
    assert list(OutcomeResult.objects.outside_the_project()) == [outside]
    client.force_login(world.users.officer)
    page = detail(client, world)
    listed = page[page.index("Results for organisations outside the project") :]
    listed = listed[: listed.index("</ul>")]
    assert f"{world.measure.name}: Kent County Council" in listed
    assert reverse("evaluations:result-edit", kwargs={"result_pk": outside.pk}) in listed
    assert "Harrow" not in listed and GROUP not in listed
    assert page.count("Outside the project</strong>") == 1
    # Put right by naming the comparison group the figure is for.
    client.post(edit_url(outside), data(world, authority=world.kent.pk, comparison_group=GROUP + " (2)"))
    assert not OutcomeResult.objects.outside_the_project().exists()
    assert OutcomeResult.objects.filter(pk=outside.pk).exists()


def test_a_result_left_outside_when_a_partner_is_taken_off_is_listed(client, world):
    partner = result_for(world, world.harrow)
    partner.save()
    world.project.partnerships.get(organisation=world.harrow).delete()
    assert list(OutcomeResult.objects.outside_the_project()) == [partner]


# History: who recorded and who rated, on the evaluation's page


def test_the_evaluation_page_shows_who_recorded_and_changed_a_result(client, world):
    client.force_login(world.users.evaluator)
    client.post(create_url(world.evaluation), data(world, authority=world.harrow.pk, baseline_value="18"))
    recorded = OutcomeResult.objects.get(authority=world.harrow)
    client.force_login(world.users.officer)
    client.post(edit_url(recorded), data(world, authority=world.harrow.pk, baseline_value="19"))
    assert [copy.history_user for copy in recorded.history.order_by("history_id")] == [
        world.users.evaluator,
        world.users.officer,
    ]
    page = detail(client, world)
    changes = page[page.index('id="evidence-history"') :]
    assert f"Result recorded: {world.measure.name}, London Borough of Harrow" in changes
    assert "Baseline: 18 → 19" in changes
    assert "Evaluator Tester" in changes and "Officer Tester" in changes


# Reviewers are named by an officer, and are not the evaluation's own evaluators


def test_an_officer_names_a_reviewer_who_is_not_an_assigned_evaluator(client, world, reviewer):
    world.evaluation.reviewers.clear()
    client.force_login(world.users.officer)
    changes = {
        "title": world.evaluation.title,
        "projects": world.project.reference,
        "design": "before_after",
        "status": "planned",
    }
    response = client.post(
        evaluation_edit_url(world.evaluation),
        evaluation_form(world, **changes, reviewers=[reviewer.pk, world.users.evaluator.pk]),
    )
    assert "Evaluator Tester is assigned to carry out this evaluation, so cannot review its evidence" in (
        response.content.decode()
    )
    assert not world.evaluation.reviewers.exists()
    response = client.post(
        evaluation_edit_url(world.evaluation), evaluation_form(world, **changes, reviewers=[reviewer.pk])
    )
    assert response.status_code == 302
    assert list(world.evaluation.reviewers.all()) == [reviewer]
    assert "Rita Reviewer" in detail(client, world)
