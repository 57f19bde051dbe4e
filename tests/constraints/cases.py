"""How a case of tests/constraints/test_constraints.py is written: a check (a row made,
then updated to break the rule and to keep it just inside) or a unique constraint (a
pair of rows, then one updated to clash with the other and to stay distinct)."""

import pytest

from evaluations.models import EvaluationStatusChange
from grants.models import GrantStatusChange
from projects.models import MilestoneStatusChange, ProjectStatusChange


def check(name, make, bad, good, variant=""):
    return pytest.param(name, make, bad, good, id=f"{name}-{variant.replace(' ', '_')}" if variant else name)


def history(model, parent):
    field = {
        GrantStatusChange: "grant",
        ProjectStatusChange: "project",
        MilestoneStatusChange: "milestone",
        EvaluationStatusChange: "evaluation",
    }[model]
    return lambda: model.objects.create(**{field: parent()}, old_status="", new_status="proposed")


def unique(name, make_pair, clash, distinct):
    return pytest.param(name, make_pair, clash, distinct, id=name)
