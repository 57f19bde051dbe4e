"""Every grants page, for every persona: never a server error, never a change by a viewer,
and an object that does not exist is never found."""

from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse

from grants.models import Allocation, Grant, Payment, SpendReturn, Variation
from grants.services import submit_spend_return

PERSONAS = ["officer", "finance", "viewer", "admin", "morninglane", "derbyshire", "harrow", "kent", "evaluator",
            "outsider"]


def grant_pages():
    resolver = get_resolver().url_patterns
    grants = next(pattern for pattern in resolver if getattr(pattern, "namespace", None) == "grants")
    return [(pattern.name, list(pattern.pattern.converters)) for pattern in grants.url_patterns]


def kwargs_for(world, names, missing=False):
    spend_return = SpendReturn.objects.first() or submit_spend_return(
        allocation=world.allocations["GB-LAE-DBY"], by=world.users.derbyshire, quarter=1,
        spent=Decimal("1"), forecast=Decimal("1"))
    allocation = world.allocations["GB-LAE-DBY"]
    variation = Variation.objects.first() or Variation.objects.create(
        grant=world.grant, allocation=allocation, amount_before=allocation.amount,
        amount_after=allocation.amount + 1, resource_after=allocation.resource + 1, capital_after=allocation.capital,
        reason="More families", requested_by=world.users.admin,
    )
    known = {
        "variation_pk": variation.pk,
        "project_pk": world.project.pk,
        "grant_pk": world.grant.pk,
        "allocation_pk": world.allocations["GB-LAE-DBY"].pk,
        "milestone_pk": world.derbyshire_milestone.pk,
        "spend_return_pk": spend_return.pk,
    }
    return {name: 999999 if missing else known[name] for name in names}


def counts():
    return (Grant.objects.count(), Allocation.objects.count(), Payment.objects.count(), SpendReturn.objects.count(),
            list(SpendReturn.objects.values_list("status", flat=True)),
            list(Variation.objects.values_list("status", flat=True)))


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_fails_for_anyone(client, world, persona):
    client.force_login(getattr(world.users, persona))
    for name, params in grant_pages():
        path = reverse(f"grants:{name}", kwargs=kwargs_for(world, params))
        assert client.get(path).status_code in (200, 302, 403, 404, 405), path
        assert client.post(path, {}).status_code in (200, 302, 403, 404), path


@pytest.mark.parametrize("persona", PERSONAS)
def test_what_does_not_exist_is_never_found(client, world, persona):
    client.force_login(getattr(world.users, persona))
    for name, params in grant_pages():
        if not params:
            continue
        path = reverse(f"grants:{name}", kwargs=kwargs_for(world, params, missing=True))
        assert client.get(path).status_code in (403, 404, 405), path


def test_a_viewer_reads_but_changes_nothing(client, world):
    client.force_login(world.users.viewer)
    kwargs_for(world, [])
    before = counts()
    for name, params in grant_pages():
        path = reverse(f"grants:{name}", kwargs=kwargs_for(world, params))
        assert client.post(path, {"amount": "1.00", "paid_on": "2016-01-15", "reason": "x"}).status_code == 403, path
    assert counts() == before


def test_signing_in_is_needed_everywhere(client, world):
    for name, params in grant_pages():
        response = client.get(reverse(f"grants:{name}", kwargs=kwargs_for(world, params)))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign-in"))
