"""The impact report, the project's impact card and the board pack show only evidence that belongs to
the projects: a result recorded for an organisation outside them (kept, and listed on its evaluation's
page) is left out, and a comparison group's figure is shown as such, with no cost per outcome and not
counted as a result of the projects."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluations.models import OutcomeResult
from reports.board_pack import impact_summary
from reports.impact import cost_per_outcome, results_for
from tests.factories import LocalAuthorityFactory
from tests.reports.test_impact_report import impact, page  # noqa: F401 -- the fixture and helper

pytestmark = pytest.mark.django_db


def a_result(world, *, authority=None, comparison_group="", followup="30"):
    """Written around the rule, as a row recorded before it was: ``objects.create`` runs no ``clean``."""
    return OutcomeResult.objects.create(
        evaluation=world.trial,
        measure=world.entering_care,
        authority=authority,
        comparison_group=comparison_group,
        baseline_value=Decimal("50"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
        followup_value=Decimal(followup),
        followup_period_start=dt.date(2016, 4, 1),
        followup_period_end=dt.date(2017, 3, 31),
    )


def test_a_result_for_an_organisation_outside_the_project_is_in_no_report(client, impact):  # noqa: F811
    cornwall = LocalAuthorityFactory(name="Cornwall Council")
    outside = a_result(impact, authority=cornwall)
    assert outside not in results_for(impact.users.officer)
    assert outside not in results_for(impact.users.officer, project=impact.project)
    assert "Cornwall Council" not in page(client, impact.users.officer)
    card = reverse("impact:project", kwargs={"project_pk": impact.project.pk})
    assert "Cornwall Council" not in page(client, impact.users.officer, card)
    report, _ = impact_summary(impact.users.officer)
    assert outside not in [row.result for _, _, rows in report.groups for row in rows]
    # Kept, not lost: a partner's result of the same evaluation is shown.
    partner = a_result(impact, authority=impact.derbyshire)
    assert partner in results_for(impact.users.officer)
    assert OutcomeResult.objects.filter(pk=outside.pk).exists()


def test_a_comparison_groups_figure_is_named_as_such_costs_nothing_and_is_not_counted(client, impact):  # noqa: F811
    cornwall = LocalAuthorityFactory(name="Cornwall Council")
    group = a_result(impact, authority=cornwall, comparison_group="Statistical neighbours")
    html = page(client, impact.users.officer)
    assert "Comparison group: Statistical neighbours (Cornwall Council)" in html
    cost, why = cost_per_outcome(group, Decimal("3500.40"))
    assert cost is None and why == "Not worked out: a comparison group's figure, not the project's"
    report, tallies = impact_summary(impact.users.officer)
    in_groups = sum(len(rows) for _, _, rows in report.groups)
    counted = sum(count for _, _, counts in tallies for _, count in counts)
    assert in_groups - counted == 1  # the comparison group's row is shown but not counted as a result
