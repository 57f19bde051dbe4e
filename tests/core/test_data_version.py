"""Programme-wide figures are worked out once for each change of the data and shared
(core/data_version.py): everyone who sees the whole programme shares one answer, anyone else has
their own, and any change through a service, a form, an import or the admin is seen at once."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import data_version
from grants.services import record_payment
from grants.spend_returns import submit_spend_return
from projects.models import ProjectPartner, Theme
from tests.projects.test_dashboard import figure


class Builds:
    """A build that counts how often it ran, and answers with that count."""

    def __init__(self):
        self.times = 0

    def __call__(self):
        self.times += 1
        return self.times


def test_everyone_who_sees_the_whole_programme_shares_one_answer(world):
    build = Builds()
    for persona in ("officer", "finance", "viewer", "admin", "officer"):
        assert data_version.for_everyone_who_sees(getattr(world.users, persona), "page", build=build) == 1
    assert build.times == 1


def test_anyone_else_has_their_own(world):
    build = Builds()
    officer = data_version.for_everyone_who_sees(world.users.officer, "page", build=build)
    derbyshire = data_version.for_everyone_who_sees(world.users.derbyshire, "page", build=build)
    harrow = data_version.for_everyone_who_sees(world.users.harrow, "page", build=build)

    assert (officer, derbyshire, harrow) == (1, 2, 3)
    assert data_version.for_everyone_who_sees(world.users.harrow, "page", build=build) == 3


def test_each_page_and_key_has_its_own_answer(world):
    build = Builds()
    officer = world.users.officer
    assert data_version.for_everyone_who_sees(officer, "page", "2016-01-01", build=build) == 1
    assert data_version.for_everyone_who_sees(officer, "page", "2016-01-02", build=build) == 2
    assert data_version.for_everyone_who_sees(officer, "other page", "2016-01-01", build=build) == 3


def _payment(world):
    record_payment(
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("1.00"),
        paid_on=dt.date(2016, 1, 15),
        by=world.users.finance,
    )


def _spend_return(world):
    submit_spend_return(
        allocation=world.allocations["GB-LAE-DBY"],
        by=world.users.derbyshire,
        quarter=1,
        spent=Decimal("10.00"),
        forecast=Decimal("0.00"),
    )


def _partner_taken_off(world):
    ProjectPartner.objects.filter(project=world.project, organisation=world.harrow).delete()


def _result_changed(world):
    world.result.baseline_value = Decimal("12.5")
    world.result.save()


def _theme_added(world):
    Theme.objects.create(name="A new theme")


def _edited_in_the_admin(world):
    # A theme keeps no time of change: the admin's log of the edit is what moves.
    LogEntry.objects.log_actions(
        user_id=world.users.admin.pk, queryset=[world.theme], action_flag=CHANGE, single_object=True
    )


def _grant_saved(world):
    world.grant.title = "A new title"
    world.grant.save()


@pytest.mark.parametrize(
    "change",
    [_payment, _spend_return, _partner_taken_off, _result_changed, _theme_added, _edited_in_the_admin, _grant_saved],
)
def test_a_change_to_the_data_is_worked_out_afresh(world, change):
    build = Builds()
    officer = world.users.officer
    assert data_version.for_everyone_who_sees(officer, "page", build=build) == 1

    change(world)

    assert data_version.for_everyone_who_sees(officer, "page", build=build) == 2


def test_the_dashboard_shows_a_payment_as_soon_as_it_is_recorded(client, world):
    client.force_login(world.users.officer)
    before = figure(client.get(reverse("projects:dashboard")).content.decode(), "Net paid")

    _payment(world)

    after = figure(client.get(reverse("projects:dashboard")).content.decode(), "Net paid")
    assert (before, after) == ("£0.00", "£1.00")


def test_the_dashboard_unchanged_is_served_without_working_it_out_again(client, world):
    client.force_login(world.users.officer)
    first = client.get(reverse("projects:dashboard")).content.decode()
    with CaptureQueriesContext(connection) as captured:
        again = client.get(reverse("projects:dashboard")).content.decode()

    # Besides the session and the user, one read: the query that says nothing has changed.
    reads = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and "django_session" not in query["sql"]
    ]
    assert len(reads) == 2 and "accounts_user" in reads[0] and "MAX(" in reads[1]
    assert figure(again, "Net paid") == figure(first, "Net paid")
    assert figure(again, "Allocated") == figure(first, "Allocated")


def test_the_spending_report_shows_a_payment_as_soon_as_it_is_recorded_and_is_shared(client, world):
    from tests.reports.test_spending_page import footer

    url = reverse("reports:spending")
    client.force_login(world.users.officer)
    before = footer(client.get(url).content.decode())
    client.force_login(world.users.viewer)
    with CaptureQueriesContext(connection) as captured:
        shared = footer(client.get(url).content.decode())
    assert shared == before
    assert not any('"grants_allocation"' in query["sql"] for query in captured.captured_queries)

    _payment(world)

    after = footer(client.get(url).content.decode())
    assert after != before
    assert "£1.00" in "".join(after)


def test_reconciliation_sees_a_change_at_once_and_is_checked_afresh_every_minute(client, world):
    from unittest import mock

    from django.core.cache import cache

    from grants.models import AllocationBalance

    url = reverse("grants:reconciliation")
    client.force_login(world.users.officer)
    with mock.patch.object(cache, "set", wraps=cache.set) as kept:
        client.get(url)
    [(_, _, seconds)] = [call.args for call in kept.call_args_list if call.args[0].startswith("programme-data:")]
    assert seconds == 60

    # A balance moved through the service's own path (its time of change moves) is checked at once.
    AllocationBalance.objects.filter(allocation=world.allocations["GB-LAE-DBY"]).update(
        paid=Decimal("0.01"), updated_at=timezone.now()
    )
    page = client.get(url).content.decode()
    assert "says paid £0.01, but its payments add up to £0.00" in page


def test_the_project_page_is_shared_by_role_and_shows_a_payment_at_once(client, world):
    url = reverse("projects:detail", kwargs={"project_pk": world.project.pk})
    client.force_login(world.users.officer)
    officers = client.get(url).content.decode()
    client.force_login(world.users.viewer)
    viewers = client.get(url).content.decode()
    # The officer's page, kept, is not the viewer's: the actions are an officer's alone.
    assert "Edit project" in officers and "Edit project" not in viewers

    _payment(world)

    client.force_login(world.users.officer)
    assert "Paid £1.00 to" in client.get(url).content.decode()
    assert "Paid £1.00 to" not in officers


def test_each_council_has_its_own_project_page(client, world):
    url = reverse("projects:detail", kwargs={"project_pk": world.project.pk})
    client.force_login(world.users.harrow)
    harrows = client.get(url).content.decode()
    client.force_login(world.users.derbyshire)
    derbyshires = client.get(url).content.decode()
    # A partner sees its own milestones, not another partner's, whoever's page was kept first.
    harrow_milestone, derbyshire_milestone = world.harrow_milestone.title, world.derbyshire_milestone.title
    assert harrow_milestone != derbyshire_milestone
    assert harrow_milestone in harrows and derbyshire_milestone not in harrows
    assert derbyshire_milestone in derbyshires and harrow_milestone not in derbyshires


def test_pages_kept_in_redis_come_back_whole(client, world, settings):
    """As `make serve` keeps them (REDIS_URL): the figures go through Redis, pickled, and come back."""
    import uuid

    from django.core.cache import cache

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": prefix,
        }
    }
    client.force_login(world.users.officer)
    try:
        pages = [reverse("projects:dashboard"), reverse("reports:spending"), reverse("grants:reconciliation")]
        worked_out = [client.get(url).content.decode() for url in pages]
        client.force_login(world.users.viewer)
        with CaptureQueriesContext(connection) as captured:
            kept = [client.get(url).content.decode() for url in pages]
        assert not any('"grants_allocation"' in query["sql"] for query in captured.captured_queries)
        assert figure(kept[0], "Allocated") == figure(worked_out[0], "Allocated") == "£950,000.00"
        assert kept[1][kept[1].index("<h1") :] == worked_out[1][worked_out[1].index("<h1") :]
        assert "Allocations total £" in kept[2]
    finally:
        cache.delete_many([key.decode().split(":", 2)[-1] for key in cache._cache.get_client().keys(f"{prefix}:*")])
