"""Every grants page, for every persona: the one status each persona must get, never a change by
a viewer, and an object that does not exist is never found."""

from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse

from grants.models import Allocation, Grant, Payment, SpendReturn, Variation
from grants.spend_returns import submit_spend_return

PERSONAS = [
    "officer",
    "finance",
    "viewer",
    "admin",
    "morninglane",
    "derbyshire",
    "harrow",
    "kent",
    "evaluator",
    "outsider",
]


def grant_pages():
    resolver = get_resolver().url_patterns
    grants = next(pattern for pattern in resolver if getattr(pattern, "namespace", None) == "grants")
    return [(pattern.name, list(pattern.pattern.converters)) for pattern in grants.url_patterns]


def kwargs_for(world, names, missing=False):
    spend_return = SpendReturn.objects.first() or submit_spend_return(
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.derbyshire,
        quarter=1,
        spent=Decimal("1"),
        forecast=Decimal("1"),
    )
    allocation = world.allocations["GB-LAE-DBY"]
    variation = Variation.objects.first() or Variation.objects.create(
        grant=world.grant,
        allocation=allocation,
        amount_before=allocation.amount,
        amount_after=allocation.amount + 1,
        resource_after=allocation.resource + 1,
        capital_after=allocation.capital,
        reason="More families",
        requested_by=world.users.admin,
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
    return (
        Grant.objects.count(),
        Allocation.objects.count(),
        Payment.objects.count(),
        SpendReturn.objects.count(),
        list(SpendReturn.objects.values_list("status", flat=True)),
        list(Variation.objects.values_list("status", flat=True)),
    )


OFFICERS = {"officer", "admin"}
READERS = {"officer", "finance", "viewer", "admin"}
RECIPIENTS = {"morninglane", "derbyshire", "harrow", "kent", "outsider"}

# Who may use each page by role, and of those, who finds the object: every object here is
# Derbyshire's side of Reclaiming Social Work (lead Morning Lane, partners Derbyshire and Harrow;
# Kent and the outsider take no part). A role not let in gets 403 before anything is looked up;
# a role let in that cannot see the object gets 404.
ALLOWED = {
    "create": (OFFICERS, OFFICERS),
    "detail": (READERS | RECIPIENTS, READERS | {"morninglane", "derbyshire", "harrow"}),
    "edit": (OFFICERS, OFFICERS),
    "status": (OFFICERS, OFFICERS),
    "allocation-create": (OFFICERS, OFFICERS),
    "allocation": (READERS | RECIPIENTS, READERS | {"morninglane", "derbyshire"}),
    "allocation-edit": (OFFICERS, OFFICERS),
    "payment-create": ({"finance"}, {"finance"}),
    "recovery-create": ({"finance"}, {"finance"}),
    "spend-return-create": (RECIPIENTS, {"derbyshire"}),
    "payments-waiting": (READERS, READERS),
    "reconciliation": (READERS, READERS),
    "variations": (READERS, READERS),
    "variation-decide": (OFFICERS, OFFICERS),
    "milestone-pay": ({"finance"}, {"finance"}),
    "spend-return-edit": (RECIPIENTS, {"derbyshire"}),
    "spend-return-review": (OFFICERS, OFFICERS),
}
# Pages that take only a POST: a GET is 405; an empty POST is sent back to the page it came from.
POST_ONLY = {"variation-decide": "grants:variations", "spend-return-review": "grants:allocation"}


def expected(name, persona, method):
    let_in, finds = ALLOWED[name]
    if persona not in let_in:
        return 403
    if persona not in finds:
        return 404
    if name in POST_ONLY:
        return 405 if method == "GET" else 302
    if method == "POST" and persona == "viewer":
        return 403  # a viewer reads every page it may see and changes nothing
    return 200


def test_every_grants_page_is_in_the_table():
    assert {name for name, _ in grant_pages()} == set(ALLOWED)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_gives_each_persona_its_one_status(client, world, persona):
    client.force_login(getattr(world.users, persona))
    wrong = []
    for name, params in grant_pages():
        kwargs = kwargs_for(world, params)
        path = reverse(f"grants:{name}", kwargs=kwargs)
        got = client.get(path).status_code
        if got != expected(name, persona, "GET"):
            wrong.append((name, "GET", got, expected(name, persona, "GET")))
        response = client.post(path, {})
        if response.status_code != expected(name, persona, "POST"):
            wrong.append((name, "POST", response.status_code, expected(name, persona, "POST")))
        elif response.status_code == 302:
            back = {"grants:allocation": {"allocation_pk": world.allocations["GB-LAE-DBY"].pk}}.get(POST_ONLY[name], {})
            assert response["Location"] == reverse(POST_ONLY[name], kwargs=back), name
    assert wrong == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_what_does_not_exist_is_never_found(client, world, persona):
    client.force_login(getattr(world.users, persona))
    wrong = []
    for name, params in grant_pages():
        if not params:
            continue
        path = reverse(f"grants:{name}", kwargs=kwargs_for(world, params, missing=True))
        let_in, _ = ALLOWED[name]
        want = 403 if persona not in let_in else 405 if name in POST_ONLY else 404
        got = client.get(path).status_code
        if got != want:
            wrong.append((name, got, want))
    assert wrong == []


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
