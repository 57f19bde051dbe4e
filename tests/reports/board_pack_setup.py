"""What the board pack's tests share: the spending report's known programme
(tests/reports/conftest.py) with milestones, RAG ratings and outcome results around it
(the ``pack`` fixture), the day the pack is as at, and reading the PDF's text."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from evaluations.models import Evaluation
from projects.models import Milestone, MilestoneStatusChange, Project
from tests.factories import (
    EvaluationFactory,
    EvidenceRatingFactory,
    MilestoneFactory,
    OutcomeMeasureFactory,
    OutcomeResultFactory,
    ProjectFactory,
)
from tests.reports.conftest import at_noon

D = Decimal
AS_AT = dt.date(2016, 12, 31)


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def rate(project, rag: str, reason: str, day: dt.date):
    """Give a project a RAG rating on ``day``, its audit history dated that day."""
    project.rag, project.rag_reason, project.rag_updated_at = rag, reason, at_noon(day)
    project.save()
    latest = Project.history.filter(id=project.pk).order_by("-history_id").values_list("history_id", flat=True)[0]
    Project.history.filter(history_id=latest).update(history_date=at_noon(day))


def history(milestone, *moves):
    """Status changes at the given days (noon, local time): (old, new, day)."""
    for old, new, day in moves:
        MilestoneStatusChange.objects.create(
            milestone=milestone,
            old_status=old,
            new_status=new,
            changed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))),
        )


@pytest.fixture
def pack(money):
    """The known money, with milestones, RAG ratings and outcome results around it."""
    projects = money.projects
    a01, a02, b01 = projects["A-01"], projects["A-02"], projects["B-01"]
    northshire = money.orgs["northshire"]
    MilestoneFactory(
        project=a02,
        organisation=northshire,
        title="Family hub open in Northshire",
        due_date=dt.date(2016, 9, 15),
        illustrative=True,
    )
    # Accepted since, but overdue on the day: its history says so.
    late_then = MilestoneFactory(
        project=a01, title="Recruit the family workers", due_date=dt.date(2016, 10, 1), status=Milestone.Status.ACCEPTED
    )
    history(
        late_then,
        ("", "planned", dt.date(2015, 4, 1)),
        ("planned", "submitted", dt.date(2017, 2, 1)),
        ("submitted", "accepted", dt.date(2017, 2, 10)),
    )
    # Accepted before the day: not overdue.
    MilestoneFactory(
        project=a01, title="Baseline survey delivered", due_date=dt.date(2016, 5, 1), status=Milestone.Status.ACCEPTED
    )
    # Due after the day.
    MilestoneFactory(project=b01, title="Final evaluation report", due_date=dt.date(2017, 3, 31))
    awaiting = MilestoneFactory(
        project=b01,
        title="Six-month survey of carers",
        due_date=dt.date(2016, 11, 30),
        status=Milestone.Status.SUBMITTED,
    )
    history(awaiting, ("", "planned", dt.date(2015, 4, 1)), ("planned", "submitted", dt.date(2016, 12, 20)))

    rate(a01, "green", "On track", dt.date(2016, 6, 1))
    rate(a01, "red", "The lead has lost its director", dt.date(2017, 5, 1))  # after the day: not shown on it
    rate(a02, "red", "The hub has no building yet", dt.date(2016, 12, 1))
    rate(b01, "amber", "Recruitment is slow", dt.date(2016, 10, 1))
    ProjectFactory(
        reference="Z-99",
        title="Closed project",
        status=Project.Status.CLOSED,
        rag="red",
        rag_reason="Never started",
        programme=money.programmes["p1"],
    )

    measure = OutcomeMeasureFactory(name="Children on child protection plans per 10,000")
    strong = EvaluationFactory(title="Trial of family safeguarding", design=Evaluation.Design.RCT, projects=[a01])
    EvidenceRatingFactory(evaluation=strong, value="5", rationale="Randomised.")
    OutcomeResultFactory(
        evaluation=strong,
        measure=measure,
        baseline_value=D("45"),
        followup_value=D("32.5"),
        followup_period_start=dt.date(2016, 4, 1),
        followup_period_end=dt.date(2017, 3, 31),
    )
    weak = EvaluationFactory(title="Survey of carers", design=Evaluation.Design.BEFORE_AFTER, projects=[b01])
    EvidenceRatingFactory(evaluation=weak, value="2", rationale="No comparison group.")
    weak_measure = OutcomeMeasureFactory(name="Foster carers recruited", unit="number", direction="higher")
    OutcomeResultFactory(
        evaluation=weak,
        measure=weak_measure,
        baseline_value=D("10"),
        followup_value=D("14"),
        followup_period_start=dt.date(2016, 4, 1),
        followup_period_end=dt.date(2017, 3, 31),
    )
    return money
