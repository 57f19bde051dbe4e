"""Who sees what, straight from the permission-scoped querysets every view uses."""

import pytest

from evaluations.models import Evaluation, OutcomeResult
from grants.models import Allocation, Grant
from projects.models import Milestone, Project
from tests.factories import AllocationFactory, GrantFactory, ProjectFactory, ProjectPartnerFactory


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("name", ["officer", "finance", "viewer", "admin"])
def test_funder_staff_and_viewers_see_the_whole_programme(world, name):
    user = getattr(world.users, name)
    assert ids(Project.objects.for_user(user)) == {world.project.pk, world.other_project.pk}
    assert ids(Allocation.objects.for_user(user)) == ids(Allocation.objects.all())
    assert ids(Milestone.objects.for_user(user)) == ids(Milestone.objects.all())


def test_the_lead_sees_all_of_its_project_and_nothing_else(world):
    user = world.users.morninglane
    assert ids(Project.objects.for_user(user)) == {world.project.pk}
    assert ids(Allocation.objects.for_user(user)) == {a.pk for a in world.allocations.values()}
    assert ids(Milestone.objects.for_user(user)) == {world.derbyshire_milestone.pk, world.harrow_milestone.pk}


def test_a_partner_sees_the_project_but_only_its_own_money_and_milestones(world):
    user = world.users.harrow
    assert ids(Project.objects.for_user(user)) == {world.project.pk}
    assert ids(Grant.objects.for_user(user)) == {world.grant.pk}
    assert ids(Allocation.objects.for_user(user)) == {world.allocations["GB-LAE-HRW"].pk}
    assert ids(Milestone.objects.for_user(user)) == {world.harrow_milestone.pk}


def test_a_council_leading_one_project_and_partner_in_another_sees_both_scopes_of_money(world):
    """Allocations are chosen as the union of a lead's grants and the organisation's own: each half, and
    both at once, with an allocation in both halves listed once."""
    led = ProjectFactory(programme=world.programme, lead_organisation=world.derbyshire)
    ProjectPartnerFactory(project=led, organisation=world.kent)
    grant = GrantFactory(project=led, round=world.round)
    own = AllocationFactory(grant=grant, recipient=world.derbyshire)
    kents = AllocationFactory(grant=grant, recipient=world.kent)
    user = world.users.derbyshire
    scoped = Allocation.objects.for_user(user)
    assert ids(scoped) == {world.allocations["GB-LAE-DBY"].pk, own.pk, kents.pk}
    assert scoped.count() == 3
    assert ids(scoped.filter(recipient=world.kent)) == {kents.pk}
    # Harrow, a partner only, still sees only its own.
    assert ids(Allocation.objects.for_user(world.users.harrow)) == {world.allocations["GB-LAE-HRW"].pk}


def test_an_evaluator_sees_only_assigned_evaluations_and_no_money(world):
    user = world.users.evaluator
    assert ids(Evaluation.objects.for_user(user)) == {world.evaluation.pk}
    assert ids(OutcomeResult.objects.for_user(user)) == {world.result.pk}
    assert ids(Evaluation.objects.editable_by(user)) == {world.evaluation.pk}
    assert ids(Allocation.objects.for_user(user)) == set()
    assert ids(Project.objects.for_user(user)) == {world.project.pk}


def test_an_outsider_sees_nothing(world):
    user = world.users.outsider
    for model in (Project, Grant, Allocation, Milestone, Evaluation, OutcomeResult):
        assert not model.objects.for_user(user).exists(), model


def test_viewers_and_recipients_edit_no_evaluation(world):
    assert not Evaluation.objects.editable_by(world.users.viewer).exists()
    assert not Evaluation.objects.editable_by(world.users.morninglane).exists()
    assert ids(Evaluation.objects.editable_by(world.users.officer)) == {world.evaluation.pk, world.other_evaluation.pk}
