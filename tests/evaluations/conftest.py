"""A reviewer: an evaluator from another organisation, named on the evaluation of
Reclaiming Social Work to rate the strength of its evidence (issue 16)."""

import pytest

from accounts.models import Role
from grants.models import Organisation
from tests.factories import UserFactory


@pytest.fixture
def reviewer(world):
    institute = Organisation.objects.create(name="Example Institute", kind="university", org_id="GB-EDU-100002")
    person = UserFactory(
        username="reviewer", role=Role.EVALUATOR, organisation=institute, first_name="Rita", last_name="Reviewer"
    )
    world.evaluation.reviewers.add(person)
    return person
