"""Variations of allocations on the pages: a reason always, a second officer for large ones,
recovered money re-profiled, and a list of what waits for approval."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from grants.models import Allocation, Variation
from grants.services import record_payment, record_recovery

TODAY = dt.date(2016, 1, 15)


def url(name, **kwargs):
    return reverse(f"grants:{name}", kwargs=kwargs)


def edit(client, world, allocation, resource, reason):
    return client.post(
        url("allocation-edit", allocation_pk=allocation.pk),
        {
            "recipient": allocation.recipient_id,
            "financial_year": str(allocation.financial_year),
            "resource": resource,
            "capital": "0",
            "purpose": "",
            "reason": reason,
        },
    )


@pytest.fixture
def harrow(world):
    return world.allocations["GB-LAE-HRW"]  # £300,000, £40,000 committed to a milestone


def test_a_small_change_applies_at_once_with_its_reason_and_who(client, world, harrow, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    assert edit(client, world, harrow, "250000.00", "Recruitment slower than planned").status_code == 302
    harrow.refresh_from_db()
    assert harrow.amount == Decimal("250000.00")
    variation = Variation.objects.get(allocation=harrow)
    assert (variation.amount_before, variation.amount_after, variation.status) == (
        Decimal("300000.00"),
        Decimal("250000.00"),
        "approved",
    )
    assert (variation.requested_by, variation.decided_by) == (world.users.officer, world.users.officer)
    page = client.get(url("allocation", allocation_pk=harrow.pk)).content.decode()
    assert "Recruitment slower than planned" in page and "£250,000.00" in page


def test_a_change_of_amount_needs_a_reason_and_changes_nothing_without_one(client, world, harrow):
    client.force_login(world.users.officer)
    response = edit(client, world, harrow, "250000.00", "  ")
    assert response.status_code == 200
    assert "Give the reason for the variation" in response.content.decode()
    harrow.refresh_from_db()
    assert harrow.amount == Decimal("300000.00")
    assert not Variation.objects.exists()


def test_a_large_change_waits_for_a_second_officer_who_applies_it(client, world, harrow, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    response = edit(client, world, harrow, "100000.00", "Harrow leaves the project early")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "waits for another programme officer" in page
    harrow.refresh_from_db()
    assert harrow.amount == Decimal("300000.00")
    variation = Variation.objects.get(allocation=harrow, status="pending")

    # The officer who asked may not decide it.
    client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "approve"})
    variation.refresh_from_db()
    assert variation.status == "pending"

    client.force_login(world.users.admin)
    page = client.get(url("variations")).content.decode()
    assert "Harrow leaves the project early" in page and 'value="approve"' in page
    response = client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "approve"})
    assert response.status_code == 302
    harrow.refresh_from_db()
    variation.refresh_from_db()
    assert harrow.amount == Decimal("100000.00")
    assert (variation.status, variation.decided_by) == ("approved", world.users.admin)


def test_a_rejection_needs_a_note_and_changes_nothing(client, world, harrow, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    edit(client, world, harrow, "100000.00", "Harrow leaves the project early")
    variation = Variation.objects.get(allocation=harrow)
    client.force_login(world.users.admin)
    client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "reject", "note": ""})
    variation.refresh_from_db()
    assert variation.status == "pending"
    client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "reject", "note": "Keep Harrow in"})
    variation.refresh_from_db()
    harrow.refresh_from_db()
    assert (variation.status, variation.decision_note, harrow.amount) == (
        "rejected",
        "Keep Harrow in",
        Decimal("300000.00"),
    )


def test_approval_checks_the_money_again(client, world, harrow, settings):
    """Money paid between the asking and the approving can make a cut impossible: refused, nothing changes."""
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    edit(client, world, harrow, "100000.00", "Harrow leaves the project early")
    record_payment(allocation=harrow, amount=Decimal("90000"), paid_on=TODAY, by=world.users.finance)
    variation = Variation.objects.get(allocation=harrow)
    client.force_login(world.users.admin)
    page = client.get(
        client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "approve"})["Location"]
    ).content.decode()
    assert "£130,000.00 is now paid or committed from this allocation" in page
    variation.refresh_from_db()
    harrow.refresh_from_db()
    assert (variation.status, harrow.amount) == ("pending", Decimal("300000.00"))


def test_recovered_money_is_payable_again_only_after_a_variation(client, world, harrow, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    record_payment(allocation=harrow, amount=Decimal("260000"), paid_on=TODAY, by=world.users.finance)
    record_recovery(
        allocation=harrow,
        amount=Decimal("80000"),
        paid_on=TODAY,
        by=world.users.finance,
        reason="Unspent in 2015-16",
        recovery_reason="underspend_returned",
    )
    client.force_login(world.users.finance)
    response = client.post(
        url("payment-create", allocation_pk=harrow.pk), {"amount": "80000.00", "paid_on": "15/01/2016"}
    )
    assert "The allocation&#x27;s headroom is £0.00" in response.content.decode()
    assert "recovered and held £80,000.00" in response.content.decode()

    # The officer re-profiles: the same allocation, its recovered money made payable again.
    client.force_login(world.users.officer)
    assert edit(client, world, harrow, "300000.00", "Re-profile the underspend into Q4").status_code == 302
    variation = Variation.objects.get(allocation=harrow)
    assert variation.releases_recovered == Decimal("80000.00")
    client.force_login(world.users.finance)
    response = client.post(
        url("payment-create", allocation_pk=harrow.pk), {"amount": "80000.00", "paid_on": "15/01/2016"}
    )
    assert response.status_code == 302
    harrow.balance.refresh_from_db()
    assert (harrow.balance.paid, harrow.balance.recovered, harrow.balance.released) == (
        Decimal("340000.00"),
        Decimal("80000.00"),
        Decimal("80000.00"),
    )


def test_only_officers_decide_and_others_see_no_buttons(client, world, harrow, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    edit(client, world, harrow, "100000.00", "Harrow leaves the project early")
    variation = Variation.objects.get()
    for persona in ("finance", "viewer"):
        client.force_login(getattr(world.users, persona))
        page = client.get(url("variations")).content.decode()
        assert "Harrow leaves the project early" in page
        assert not re.search(r'name="decision"', page)
        assert (
            client.post(url("variation-decide", variation_pk=variation.pk), {"decision": "approve"}).status_code == 403
        )
    variation.refresh_from_db()
    assert variation.status == "pending"
    assert Allocation.objects.get(pk=harrow.pk).amount == Decimal("300000.00")


def test_the_original_award_is_kept_and_shown_beside_the_current_one(client, world, settings):
    settings.VARIATION_APPROVAL_THRESHOLD = 100000
    client.force_login(world.users.officer)
    data = {
        "round": world.grant.round_id,
        "recipient": world.grant.recipient_id,
        "title": world.grant.title,
        "description": "",
        "amount_awarded": "1050000.00",
        "award_date": "05/01/2015",
        "planned_start": "01/01/2015",
        "planned_end": "31/12/2016",
        "ggis_award_reference": "",
        "publishable": "on",
        "reason": "Sixth council",
    }
    assert client.post(url("edit", grant_pk=world.grant.pk), data).status_code == 302
    assert (
        client.post(
            url("edit", grant_pk=world.grant.pk), data | {"amount_awarded": "1075000.00", "reason": "Seventh council"}
        ).status_code
        == 302
    )
    world.grant.refresh_from_db()
    assert (world.grant.original_amount, world.grant.amount_awarded) == (Decimal("1000000.00"), Decimal("1075000.00"))
    page = client.get(url("detail", grant_pk=world.grant.pk)).content.decode()
    assert re.search(r'id="original-award">£1,000,000.00', page)
    assert "Sixth council" in page and "Seventh council" in page
    client.force_login(world.users.viewer)
    report = client.get(reverse("reports:spending")).content.decode()
    # Kent's £500,000 award never varied: £1,500,000 first awarded, £1,575,000 now.
    assert re.search(
        r'id="total-awarded">£1,575,000.00<div[^>]*id="total-original">£1,500,000.00 as first awarded', report
    )
