"""The outcome measure catalogue: seeded with DESIGN.md's measures, listed for the
funder's staff, added and changed by officers only."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from evaluations.catalogue import CP_PLANS, DIRECT_WORK, MEASURES, load_measures
from evaluations.models import OutcomeArea, OutcomeMeasure

LIST = reverse("evaluations:measure-list")
CREATE = reverse("evaluations:measure-create")


def edit_url(measure):
    return reverse("evaluations:measure-edit", kwargs={"measure_pk": measure.pk})


@pytest.mark.django_db
def test_load_measures_seeds_the_design_catalogue_once_and_keeps_officers_changes():
    out = io.StringIO()
    call_command("load_measures", stdout=out)
    assert out.getvalue().strip() == "Added 6 outcome measures; 0 already in the catalogue."
    plans = OutcomeMeasure.objects.get(name=CP_PLANS)
    assert (plans.unit, plans.direction, plans.outcome_area.name) == ("per_10000", "lower", "Safety and stability")
    time = OutcomeMeasure.objects.get(name=DIRECT_WORK)
    assert (time.unit, time.direction, time.outcome_area.name) == ("percent", "higher", "Social work practice")
    assert set(OutcomeMeasure.objects.values_list("name", flat=True)) == {name for name, *_ in MEASURES}
    plans.description = "Changed by an officer"
    plans.save()
    assert load_measures() == (0, 6)
    assert OutcomeMeasure.objects.get(name=CP_PLANS).description == "Changed by an officer"
    assert OutcomeArea.objects.count() == 3


def form(world, **changes):
    values = {
        "name": "Children entering care",
        "outcome_area": world.measure.outcome_area.pk,
        "unit": "number",
        "direction": "lower",
        "is_count": "on",
        "description": "Children who started to be looked after.",
    }
    values.update(changes)
    return values


def test_an_officer_adds_a_measure(client, world):
    client.force_login(world.users.officer)
    response = client.post(CREATE, form(world))
    assert response.status_code == 302 and response["Location"] == LIST
    measure = OutcomeMeasure.objects.get(name="Children entering care")
    assert (measure.unit, measure.direction, measure.is_count) == ("number", "lower", True)
    assert "Children entering care" in client.get(LIST).content.decode()


def test_an_officer_changes_a_measure_without_results(client, world):
    measure = OutcomeMeasure.objects.create(
        name="Average caseload", outcome_area=world.measure.outcome_area, unit="number", direction="lower"
    )
    client.force_login(world.users.admin)
    response = client.post(
        edit_url(measure), form(world, name="Average caseload per social worker", unit="days", is_count="")
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.name, measure.unit) == ("Average caseload per social worker", "days")


def test_the_unit_and_direction_of_a_measure_in_use_cannot_change(client, world):
    client.force_login(world.users.officer)
    response = client.post(
        edit_url(world.measure), form(world, name=world.measure.name, unit="number", direction="lower", is_count="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 results already use this measure, so its unit cannot change: add a new measure instead" in html
    assert "2 results already use this measure, so its direction cannot change" in html
    world.measure.refresh_from_db()
    assert (world.measure.unit, world.measure.direction) == ("percent", "higher")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Enter the name of the measure"),
        ({"name": "x" * 201}, "Name must be 200 characters or fewer"),
        (
            {"name": "Social work time in direct work with families"},
            "The catalogue already has a measure with this name",
        ),
        ({"outcome_area": ""}, "Choose the outcome area"),
        ({"outcome_area": "99999"}, "Choose an outcome area from the list"),
        ({"unit": ""}, "Choose the unit"),
        ({"unit": "furlongs"}, "Choose the unit"),
        ({"direction": "sideways"}, "Choose whether lower or higher is better"),
        ({"unit": "percent", "is_count": "on"}, "Only a measure in numbers can count children, families or cases"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(client, world, changes, message):
    client.force_login(world.users.officer)
    before = list(OutcomeMeasure.objects.values())
    response = client.post(CREATE, form(world, **changes))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert list(OutcomeMeasure.objects.values()) == before


def test_viewers_read_the_catalogue_and_change_nothing(client, world):
    client.force_login(world.users.viewer)
    html = client.get(LIST).content.decode()
    assert "Social work time in direct work with families" in html and "Higher is better" in html
    assert "Add a measure" not in html and edit_url(world.measure) not in html
    assert client.get(CREATE).status_code == 403
    assert client.post(edit_url(world.measure), form(world)).status_code == 403
    assert not OutcomeMeasure.objects.filter(name="Children entering care").exists()


@pytest.mark.parametrize("persona", ["morninglane", "derbyshire", "evaluator", "outsider"])
def test_recipients_and_evaluators_do_not_use_the_catalogue_pages(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(LIST).status_code == 403
    assert client.post(CREATE, form(world)).status_code == 403


def test_the_list_does_not_grow_in_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.users.viewer)
    client.get(LIST)
    for number in range(10):
        OutcomeMeasure.objects.create(
            name=f"Measure {number}", outcome_area=world.measure.outcome_area, unit="number", direction="lower"
        )
    # Six, and the one that says the data has changed since the counts were last worked out.
    with django_assert_max_num_queries(7):
        assert client.get(LIST).status_code == 200


def test_the_counts_shown_follow_a_result_recorded_at_once(client, world):
    client.force_login(world.users.viewer)
    before = client.get(LIST).content.decode()
    world.result.pk = None  # a second result of the same measure, for a comparison group
    world.result.comparison_group = "Neighbouring authorities"
    world.result.save()
    after = client.get(LIST).content.decode()
    row = re.compile(rf"{re.escape(world.measure.name)}.*?govuk-table__cell--numeric\">(\d+)<", re.S)
    assert int(row.search(after).group(1)) == int(row.search(before).group(1)) + 1
