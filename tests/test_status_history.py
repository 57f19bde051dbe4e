"""set_status is the one way a grant, project or milestone changes state: it makes the
legal moves, writes who, when, before, after and why, and refuses an illegal move
without touching the row or its history."""

import pytest
from django.utils import timezone

from accounts.models import Role
from core.lifecycle import IllegalStatusChange
from projects.models import Milestone
from tests.factories import GrantFactory, MilestoneFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

# Each: a factory, a walk of legal moves from the starting status, and an illegal move from its end.
WALKS = [
    pytest.param(GrantFactory, ["awarded", "active", "closed"], "active", id="grant"),
    pytest.param(
        ProjectFactory, ["proposed", "active", "closing", "active", "closing", "closed"], "active", id="project"
    ),
    pytest.param(
        MilestoneFactory, ["planned", "submitted", "returned", "submitted", "accepted"], "returned", id="milestone"
    ),
]

ILLEGAL_FROM_THE_START = [
    pytest.param(GrantFactory, "closed", "A grant cannot move from Awarded to Closed.", id="grant awarded to closed"),
    pytest.param(
        ProjectFactory, "closing", "A project cannot move from Proposed to Closing.", id="project proposed to closing"
    ),
    pytest.param(
        MilestoneFactory,
        "accepted",
        "A milestone cannot move from Planned to Accepted.",
        id="milestone planned to accepted",
    ),
]


def history(obj):
    return list(obj.status_changes.order_by("pk").values_list("old_status", "new_status", "changed_by", "reason"))


@pytest.fixture
def officer():
    return UserFactory(role=Role.OFFICER)


@pytest.mark.parametrize("factory, walk, illegal", WALKS)
def test_each_legal_move_is_made_and_recorded(factory, walk, illegal, officer):
    obj = factory()
    assert obj.status == walk[0]
    started = timezone.now()

    for old, new in zip(walk, walk[1:]):
        obj.set_status(new, by=officer, reason=f"{old} to {new}")
        assert obj.status == new

    obj.refresh_from_db()
    assert obj.status == walk[-1]
    assert history(obj) == [(old, new, officer.pk, f"{old} to {new}") for old, new in zip(walk, walk[1:])]
    changes = list(obj.status_changes.all())
    assert len(changes) == len(walk) - 1 and all(change.changed_at >= started for change in changes)


@pytest.mark.parametrize("factory, walk, illegal", WALKS)
def test_a_finished_object_refuses_to_move_back(factory, walk, illegal, officer):
    obj = factory()
    for new in walk[1:]:
        obj.set_status(new, by=officer)
    before = history(obj)

    with pytest.raises(IllegalStatusChange):
        obj.set_status(illegal, by=officer, reason="Trying")

    assert obj.status == walk[-1]
    obj.refresh_from_db()
    assert obj.status == walk[-1]
    assert history(obj) == before


@pytest.mark.parametrize("factory, target, message", ILLEGAL_FROM_THE_START)
def test_an_illegal_move_changes_nothing(factory, target, message, officer):
    obj = factory()
    start = obj.status

    with pytest.raises(IllegalStatusChange) as refused:
        obj.set_status(target, by=officer, reason="Skipping ahead")

    assert str(refused.value) == message
    assert obj.status == start
    obj.refresh_from_db()
    assert obj.status == start
    assert history(obj) == []


def test_a_move_to_the_same_status_is_refused(officer):
    grant = GrantFactory()
    with pytest.raises(IllegalStatusChange):
        grant.set_status("awarded", by=officer)
    assert history(grant) == []


def test_the_move_is_judged_on_the_stored_status_not_a_stale_copy(officer):
    # Two people open the same milestone; the first submits it. The second's copy still
    # says planned, but the stored status decides what may happen next.
    first = MilestoneFactory()
    second = Milestone.objects.get(pk=first.pk)
    first.set_status("submitted", by=officer)

    with pytest.raises(IllegalStatusChange, match="from Submitted to Submitted"):
        second.set_status("submitted", by=officer)
    second.set_status("accepted", by=officer)

    assert history(first) == [("planned", "submitted", officer.pk, ""), ("submitted", "accepted", officer.pk, "")]


def test_the_first_history_row_records_the_starting_status(officer):
    project = ProjectFactory()
    project.record_initial_status(by=officer)
    project.set_status("active", by=officer, reason="Grant agreement signed")

    assert history(project) == [
        ("", "proposed", officer.pk, ""),
        ("proposed", "active", officer.pk, "Grant agreement signed"),
    ]
