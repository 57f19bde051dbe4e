"""Programmes and rounds set up in the service: officers add and change them through the real pages, the
budgets and dates are refused with a message when they do not add up (and nothing changes), the others
read the lists or are refused, and each change keeps who made it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from grants.models import Programme, Round

pytestmark = pytest.mark.django_db

NOT_OFFICERS = ["finance", "viewer", "morninglane", "derbyshire", "evaluator", "outsider"]


def programme_data(world, **changes):
    data = {
        "name": "Partners in Practice",
        "code": "pip",
        "funder": world.dfe.pk,
        "description": "",
        "budget": "£50,000,000",
        "ggis_scheme_reference": "",
        "start_date-day": "1",
        "start_date-month": "4",
        "start_date-year": "2016",
        "end_date-day": "31",
        "end_date-month": "3",
        "end_date-year": "2020",
    }
    data.update(changes)
    return data


def round_data(**changes):
    data = {
        "number": "2",
        "name": "Round 2",
        "description": "",
        "budget": "36,000,000",
        "start_date-day": "1",
        "start_date-month": "4",
        "start_date-year": "2016",
        "end_date-day": "31",
        "end_date-month": "3",
        "end_date-year": "2020",
    }
    data.update(changes)
    return data


def snapshot():
    return (
        list(Programme.objects.order_by("pk").values_list("name", "budget", "start_date", "end_date")),
        list(Round.objects.order_by("pk").values_list("number", "name", "budget", "start_date", "end_date")),
    )


def test_an_officer_adds_a_programme_and_the_history_names_them(client, world):
    client.force_login(world.users.officer)
    response = client.post(reverse("setup:programme-create"), programme_data(world))
    programme = Programme.objects.get(code="pip")
    assert response.status_code == 302
    assert response["Location"] == reverse("setup:programme", kwargs={"programme_pk": programme.pk})
    assert programme.budget == Decimal("50000000.00")
    assert programme.funder == world.dfe
    assert (programme.start_date, programme.end_date) == (dt.date(2016, 4, 1), dt.date(2020, 3, 31))
    record = programme.history.get()
    assert (record.history_type, record.history_user) == ("+", world.users.officer)

    page = client.get(response["Location"]).content.decode()
    assert "Partners in Practice" in page and "£50,000,000.00" in page
    assert "This programme has no rounds yet." in page


def test_an_officer_changes_a_programme_and_the_old_budget_is_kept(client, world):
    client.force_login(world.users.admin)
    url = reverse("setup:programme-edit", kwargs={"programme_pk": world.programme.pk})
    data = programme_data(
        world,
        name=world.programme.name,
        code="cscip",
        budget="210000000",
        **{"start_date-day": "1", "start_date-month": "10", "start_date-year": "2014"},
    )
    assert client.post(url, data).status_code == 302
    world.programme.refresh_from_db()
    assert world.programme.budget == Decimal("210000000.00")
    latest = world.programme.history.latest()
    assert latest.history_user == world.users.admin
    assert latest.prev_record.budget == Decimal("200000000.00")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": ""}, "name", "Enter the programme&#x27;s name"),
        ({"budget": "-5"}, "budget", "must be"),
        ({"budget": "lots"}, "budget", "The budget must be"),
        ({"code": "has spaces"}, "code", "only letters, numbers, hyphens and underscores"),
        ({"code": "cscip"}, "code", "Another programme already has this code"),
        ({"funder": "999999"}, "funder", "Choose a funder from the list"),
        ({"end_date-year": "2015"}, "end_date", "The end date must be the same as or after the start date"),
        ({"start_date-month": "13"}, "start_date", "month"),
    ],
)
def test_bad_programme_input_is_refused_with_its_message_and_nothing_is_added(client, world, changes, field, message):
    client.force_login(world.users.officer)
    before = snapshot()
    response = client.post(reverse("setup:programme-create"), programme_data(world, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_a_programme_budget_below_its_rounds_budgets_is_refused(client, world):
    client.force_login(world.users.officer)
    before = snapshot()
    url = reverse("setup:programme-edit", kwargs={"programme_pk": world.programme.pk})
    data = programme_data(
        world,
        name=world.programme.name,
        code="cscip",
        budget="100000000",
        **{"start_date-day": "1", "start_date-month": "10", "start_date-year": "2014"},
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "rounds have budgets of £110,000,000.00 between them" in response.content.decode()
    assert snapshot() == before


def test_a_programme_that_would_no_longer_hold_its_round_is_refused(client, world):
    client.force_login(world.users.officer)
    before = snapshot()
    url = reverse("setup:programme-edit", kwargs={"programme_pk": world.programme.pk})
    data = programme_data(world, name=world.programme.name, code="cscip", budget="200000000")  # starts April 2016
    response = client.post(url, data)
    assert "Round 1 starts on 1 October 2014, so the programme cannot start after that" in response.content.decode()
    assert snapshot() == before


def test_an_officer_adds_a_round_within_the_programme(client, world):
    client.force_login(world.users.officer)
    url = reverse("setup:round-create", kwargs={"programme_pk": world.programme.pk})
    assert client.get(url).context["form"].initial["number"] == 2
    response = client.post(url, round_data())
    assert response.status_code == 302
    round_2 = Round.objects.get(programme=world.programme, number=2)
    assert round_2.budget == Decimal("36000000.00")
    assert round_2.history.get().history_user == world.users.officer
    page = client.get(reverse("setup:programme", kwargs={"programme_pk": world.programme.pk})).content.decode()
    assert "Round 2" in page and "£36,000,000.00" in page
    # Round 1's grants: Reclaiming Social Work (£1,000,000) and Kent (£500,000).
    assert "£1,500,000.00" in page


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"number": "1"}, "number", "already has a round 1"),
        ({"number": "0"}, "number", "The round&#x27;s number must be 1 or more"),
        ({"number": "two"}, "number", "must be a whole number"),
        ({"budget": "100,000,000"}, "budget", "budget can be at most £90,000,000.00"),
        (
            {"start_date-year": "2014", "start_date-month": "4"},
            "start_date",
            "a round cannot start before its programme",
        ),
        ({"end_date-year": "2021"}, "end_date", "a round cannot end after its programme"),
        ({"end_date-year": "2016", "end_date-month": "1"}, "end_date", "must be the same as or after the start date"),
        ({"name": "x" * 201}, "name", "200 characters or fewer"),
    ],
)
def test_bad_round_input_is_refused_with_its_message_and_nothing_changes(client, world, changes, field, message):
    client.force_login(world.users.officer)
    before = snapshot()
    url = reverse("setup:round-create", kwargs={"programme_pk": world.programme.pk})
    response = client.post(url, round_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert snapshot() == before


def test_a_round_budget_cannot_fall_below_what_it_has_awarded(client, world):
    client.force_login(world.users.officer)
    before = snapshot()
    url = reverse("setup:round-edit", kwargs={"round_pk": world.round.pk})
    data = round_data(
        number="1",
        name="Round 1",
        budget="1,200,000",
        **{"start_date-month": "10", "start_date-year": "2014", "end_date-year": "2016"},
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "£1,500,000.00 has already been awarded from this round" in response.content.decode()
    assert snapshot() == before

    data["budget"] = "1,500,000"
    assert client.post(url, data).status_code == 302
    world.round.refresh_from_db()
    assert world.round.budget == Decimal("1500000.00")
    assert world.round.history.latest().history_user == world.users.officer


@pytest.mark.parametrize("persona", ["officer", "admin", "finance", "viewer"])
def test_the_funders_staff_and_viewers_read_the_lists(client, world, persona):
    client.force_login(getattr(world.users, persona))
    for url in (
        reverse("setup:index"),
        reverse("setup:programmes"),
        reverse("setup:programme", kwargs={"programme_pk": world.programme.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = response.content.decode()
    assert "Round 1" in page
    shows_change = reverse("setup:round-edit", kwargs={"round_pk": world.round.pk}) in page
    assert shows_change == (persona in ("officer", "admin"))


@pytest.mark.parametrize("persona", NOT_OFFICERS)
def test_no_one_but_an_officer_adds_or_changes_a_programme_or_round(client, world, persona):
    client.force_login(getattr(world.users, persona))
    before = snapshot()
    posts = [
        (reverse("setup:programme-create"), programme_data(world)),
        (
            reverse("setup:programme-edit", kwargs={"programme_pk": world.programme.pk}),
            programme_data(world, name="Renamed", code="cscip"),
        ),
        (reverse("setup:round-create", kwargs={"programme_pk": world.programme.pk}), round_data()),
        (reverse("setup:round-edit", kwargs={"round_pk": world.round.pk}), round_data(number="1")),
    ]
    for url, data in posts:
        assert client.get(url).status_code == 403, url
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["morninglane", "derbyshire", "evaluator"])
def test_recipients_and_evaluators_do_not_read_the_set_up(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(reverse("setup:programmes")).status_code == 403
    assert client.get(reverse("setup:index")).status_code == 403


def test_signed_out_is_sent_to_sign_in(client, world):
    response = client.get(reverse("setup:programmes"))
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]
