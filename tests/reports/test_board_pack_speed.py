"""The board pack builds only what it lists: its impact tallies are counted in the database, each strength
of evidence fetches its first ``LIST_LIMIT`` results, and the late milestones their first ``LIST_LIMIT``
of each kind, while every count stays whole. Each is checked against the same figures worked out row by
row in Python, as the pack did before. That its queries do not grow with the projects is in
tests/reports/test_board_pack_page.py."""

import datetime as dt
from collections import Counter
from decimal import Decimal

from core.pdf import render_pdf_html
from evaluations.models import Evaluation, EvidenceRating, Judgement, OutcomeMeasure
from projects.models import Milestone
from reports import board_pack
from reports.impact import build_report, results_for
from tests.factories import EvaluationFactory, MilestoneFactory, OutcomeMeasureFactory, OutcomeResultFactory
from tests.reports.board_pack_setup import AS_AT, pack  # noqa: F401 (pack: the fixture)

FOLLOWED_UP = {"followup_period_start": dt.date(2016, 4, 1), "followup_period_end": dt.date(2017, 3, 31)}


def more_results(project):
    """Results of every strength of evidence and judgement, and comparison groups' figures beside them."""
    followups = ("40", "50", "45", None)  # from a baseline of 45: down, up, the same, not yet
    measures = [
        (OutcomeMeasureFactory(direction=direction), followup)
        for direction in OutcomeMeasure.Direction
        for followup in followups
    ]
    for design, level in ((Evaluation.Design.RCT, "4"), (Evaluation.Design.BEFORE_AFTER, "3"), (None, None)):
        evaluation = EvaluationFactory(projects=[project], design=design or Evaluation.Design.MIXED)
        if level:
            EvidenceRating.objects.create(evaluation=evaluation, scale="maryland_sms", value=level, rationale="Read.")
        for measure, followup in measures:
            for group in ("", "England"):
                OutcomeResultFactory(
                    evaluation=evaluation,
                    measure=measure,
                    comparison_group=group,
                    baseline_value=Decimal("45"),
                    followup_value=None if followup is None else Decimal(followup),
                    **(FOLLOWED_UP if followup else {}),
                )


def test_the_tallies_counted_in_the_database_are_those_of_every_row(pack, monkeypatch):  # noqa: F811
    monkeypatch.setattr("reports.board_pack.LIST_LIMIT", 3)
    more_results(pack.projects["A-01"])
    reader = board_pack.programme_reader()
    every_row = build_report(results_for(reader), show_money=False)
    summary, tallies = board_pack.impact_summary(reader)

    expected = []
    for strength, label, rows in every_row.groups:
        counts = Counter(row.result.judgement for row in rows if not row.result.comparison_group)
        expected.append(
            (strength, label.split(":")[0], [(judgement.label, counts[judgement]) for judgement in Judgement])
        )
    assert tallies == expected
    assert [strength for strength, _, _ in tallies] == ["stronger", "weaker", "not_rated"]
    assert all(count for _, _, counts in tallies for _, count in counts)  # every judgement of every strength
    # Each strength lists its first three rows, in the report's order, and knows how many there are.
    for page, (strength, label, rows) in zip(summary.pages, every_row.groups, strict=True):
        assert (page.strength, page.label, page.count) == (strength, label, len(rows))
        assert [row.result.pk for row in page.rows] == [row.result.pk for row in rows[:3]]
        assert len(rows) > 3


def late_milestones(project):
    """Past due on the day: four open (planned or returned for more) and three submitted for review."""
    for number, status in enumerate(
        ["planned", "returned", "submitted", "planned", "submitted", "returned", "submitted"]
    ):
        MilestoneFactory(project=project, title=f"Late {number}", due_date=dt.date(2016, 7, 1 + number), status=status)


def test_only_the_first_late_milestones_are_built_and_every_one_is_counted(pack):  # noqa: F811
    late_milestones(pack.projects["B-01"])
    everything = board_pack.milestones_late_on(AS_AT, 1000)
    first = board_pack.milestones_late_on(AS_AT, 2)
    assert (first.overdue_count, first.awaiting_review_count) == (6, 4)  # with the pack's own two and one
    assert (len(everything.overdue), len(everything.awaiting_review)) == (6, 4)
    assert first.overdue == everything.overdue[:2] and first.awaiting_review == everything.awaiting_review[:2]
    assert [item.milestone.title for item in everything.overdue[:3]] == ["Late 0", "Late 1", "Late 3"]
    assert {item.status for item in everything.awaiting_review} == {Milestone.Status.SUBMITTED}
    assert everything.overdue == sorted(
        everything.overdue, key=lambda item: (item.milestone.due_date, item.milestone.project.reference)
    )


def test_the_pack_says_how_many_it_lists_of_how_many(pack, monkeypatch):  # noqa: F811
    monkeypatch.setattr("reports.board_pack.LIST_LIMIT", 2)
    more_results(pack.projects["A-01"])
    late_milestones(pack.projects["B-01"])
    context = board_pack.board_pack_context(AS_AT)
    html = render_pdf_html(board_pack.PDF_TEMPLATE, context)
    assert "6 milestones overdue on 31 December 2016" in html
    assert "The 2 most overdue are listed; 4 more are on the dashboard." in html
    assert html.count("Late ") == 4  # two overdue and two awaiting review, of seven
    for page in context["impact"].pages:
        assert len(page.rows) == 2
        assert f"The first 2 of {page.count} results with this strength of evidence are listed" in html
