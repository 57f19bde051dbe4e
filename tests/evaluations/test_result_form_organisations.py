"""The result form offers only the organisations taking part in the evaluation's projects; any other,
for a comparison group, is typed by its org-id or name (issue 17: a programme of 5,000 projects has
over 1,200 organisations, and a select of all of them was most of the page's time)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations.models import OutcomeResult
from grants.models import Organisation
from tests.evaluations.test_evidence_that_belongs import GROUP, OUTSIDE
from tests.evaluations.test_result_form import authority_options, create_url, data, edit_url, snapshot

pytestmark = pytest.mark.django_db


def typed(world, text, **changes):
    return data(world, authority="", other_authority=text, **changes)


def escaped(text):
    return text.replace("'", "&#x27;")


def test_the_options_do_not_grow_with_the_organisations_of_the_programme(client, world):
    client.force_login(world.users.evaluator)
    with CaptureQueriesContext(connection) as before_queries:
        before = client.get(create_url(world.evaluation)).content.decode()
    Organisation.objects.bulk_create(
        Organisation(name=f"Extra Organisation {n:03}", kind="company", org_id=f"GB-COH-{n:08}") for n in range(300)
    )
    with CaptureQueriesContext(connection) as after_queries:
        after = client.get(create_url(world.evaluation)).content.decode()
    assert Organisation.objects.count() == 307
    assert after.count("<option") == before.count("<option")
    assert len(authority_options(after)) == 4  # the empty choice and the three taking part
    assert "Extra Organisation" not in after
    assert len(after_queries) == len(before_queries)


@pytest.mark.parametrize(
    "text, organisation",
    [
        ("gb-lae-dby", "derbyshire"),  # an org-id, in any case
        ("London Borough of Harrow", "harrow"),  # the exact name
        ("  morning   LANE ", "morning_lane"),  # a part of the name only one has, spaces as typed
    ],
)
def test_a_typed_organisation_taking_part_is_recorded(client, world, text, organisation):
    client.force_login(world.users.evaluator)
    response = client.post(create_url(world.evaluation), typed(world, text))
    assert response.status_code == 302
    recorded = OutcomeResult.objects.get(evaluation=world.evaluation, authority=getattr(world, organisation))
    assert (recorded.comparison_group, recorded.recorded_by) == ("", world.users.evaluator)
    assert OutcomeResult.objects.count() == 3


def test_a_typed_organisation_outside_the_project_is_recorded_for_a_comparison_group(client, world):
    client.force_login(world.users.evaluator)
    response = client.post(create_url(world.evaluation), typed(world, "Kent", comparison_group=GROUP))
    assert response.status_code == 302
    recorded = OutcomeResult.objects.get(evaluation=world.evaluation, authority=world.kent)
    assert recorded.where == f"Comparison group: {GROUP} (Kent County Council)"


def test_a_typed_organisation_outside_the_project_without_a_comparison_group_gets_the_models_refusal(client, world):
    client.force_login(world.users.evaluator)
    before = snapshot()
    response = client.post(create_url(world.evaluation), typed(world, "GB-LAE-KEN"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert escaped(OUTSIDE) in page
    assert 'href="#id_other_authority"' in page and 'href="#id_authority"' not in page
    assert 'value="GB-LAE-KEN"' in page  # kept in the box to put right
    assert snapshot() == before


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "Hertfordshire",
            "No organisation matches “Hertfordshire”. Enter an org-id such as GB-LAE-DBY, or the organisation’s name",
        ),
        (
            "county  council",
            "More than one organisation matches “county council”: Derbyshire County Council (GB-LAE-DBY); "
            "Kent County Council (GB-LAE-KEN); Surrey County Council (GB-LAE-SRY). Enter the org-id of the one "
            "you want",
        ),
        ("x" * 201, "The organisation’s name or org-id must be 200 characters or fewer"),
    ],
    ids=["no-match", "several", "too-long"],
)
def test_a_typed_organisation_that_names_none_or_several_is_explained_and_nothing_is_written(
    client, world, text, message
):
    client.force_login(world.users.evaluator)
    before = snapshot()
    response = client.post(create_url(world.evaluation), typed(world, text))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'href="#id_other_authority"' in page and "govuk-input--error" in page
    assert "already has a result" not in page  # not taken for a result across all authorities
    assert snapshot() == before


def test_more_than_a_few_matches_are_not_all_listed(client, world):
    Organisation.objects.create(
        name="Essex County Council", kind="local_authority", org_id="GB-LAE-ESS", authority_type="CTY"
    )
    client.force_login(world.users.evaluator)
    page = client.post(create_url(world.evaluation), typed(world, "County Council")).content.decode()
    assert (
        "More than one organisation matches “County Council”: Derbyshire County Council (GB-LAE-DBY); "
        "Essex County Council (GB-LAE-ESS); Kent County Council (GB-LAE-KEN) and others. Enter the org-id"
    ) in page
    assert OutcomeResult.objects.count() == 2


def test_choosing_and_typing_an_organisation_is_refused(client, world):
    client.force_login(world.users.evaluator)
    before = snapshot()
    response = client.post(
        create_url(world.evaluation), data(world, authority=world.harrow.pk, other_authority="GB-LAE-KEN")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose an organisation from the list or type another, not both" in page
    assert 'href="#id_other_authority"' in page
    assert snapshot() == before


def test_a_typed_organisation_already_recorded_is_refused_as_a_duplicate(client, world):
    client.force_login(world.users.evaluator)
    assert client.post(create_url(world.evaluation), typed(world, "GB-LAE-DBY")).status_code == 302
    before = snapshot()
    response = client.post(create_url(world.evaluation), typed(world, "Derbyshire"))
    assert (
        "already has a result for Social work time in direct work with families for Derbyshire County Council"
        in response.content.decode()
    )
    assert snapshot() == before


def test_the_edit_form_of_a_result_for_an_organisation_outside_shows_it_chosen(client, world):
    recorded = OutcomeResult.objects.create(
        evaluation=world.evaluation,
        measure=world.measure,
        authority=world.kent,
        comparison_group=GROUP,
        baseline_value=20,
        baseline_period_start=world.result.baseline_period_start,
        baseline_period_end=world.result.baseline_period_end,
    )
    client.force_login(world.users.evaluator)
    options = authority_options(client.get(edit_url(recorded)).content.decode())
    assert (str(world.kent.pk), "Kent County Council", True) in options
    assert [label for _, label, _ in options] == [
        "All authorities in the evaluation",
        "Derbyshire County Council",
        "Kent County Council",
        "London Borough of Harrow",
        "Morning Lane Associates",
    ]
    assert [selected for _, _, selected in options].count(True) == 1
    # Saved unchanged, it keeps its organisation.
    response = client.post(edit_url(recorded), data(world, authority=world.kent.pk, comparison_group=GROUP))
    assert response.status_code == 302
    recorded.refresh_from_db()
    assert (recorded.authority, recorded.comparison_group) == (world.kent, GROUP)


def test_a_key_posted_for_an_organisation_outside_is_shown_chosen_beside_its_refusal(client, world):
    client.force_login(world.users.evaluator)
    page = client.post(create_url(world.evaluation), data(world, authority=world.kent.pk)).content.decode()
    assert escaped(OUTSIDE) in page and 'href="#id_authority"' in page
    assert (str(world.kent.pk), "Kent County Council", True) in authority_options(page)
