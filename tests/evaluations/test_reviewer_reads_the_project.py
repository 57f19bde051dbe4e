"""A second evaluator named to rate an evaluation's evidence reads the project it is about, as its own
evaluators do, and no other project."""

import pytest
from django.urls import reverse

from projects.models import Project

pytestmark = pytest.mark.django_db


def test_a_reviewer_sees_the_evaluated_project_and_no_other(client, world, reviewer):
    evaluated = set(world.evaluation.projects.values_list("pk", flat=True))
    assert evaluated
    assert set(Project.objects.for_user(reviewer).values_list("pk", flat=True)) == evaluated
    client.force_login(reviewer)
    (project_pk, *_) = evaluated
    assert client.get(reverse("projects:detail", kwargs={"project_pk": project_pk})).status_code == 200
    other = Project.objects.exclude(pk__in=evaluated).first()
    assert other is not None
    assert client.get(reverse("projects:detail", kwargs={"project_pk": other.pk})).status_code == 404


def test_a_reviewer_taken_off_no_longer_sees_the_project(world, reviewer):
    world.evaluation.reviewers.remove(reviewer)
    assert not Project.objects.for_user(reviewer).exists()
