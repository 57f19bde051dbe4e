"""Recording and changing outcome results: evaluators for their own evaluations, officers for any."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evaluations.models import EvaluationReport, OutcomeMeasure, OutcomeResult
from evaluations.services import save_result


def create_url(evaluation):
    return reverse("evaluations:result-create", kwargs={"evaluation_pk": evaluation.pk})


def edit_url(result):
    return reverse("evaluations:result-edit", kwargs={"result_pk": result.pk})


def data(world, **changes):
    values = {
        "measure": world.measure.pk,
        "authority": world.derbyshire.pk,
        "baseline_value": "20",
        "baseline_period_start": "01/04/2014",
        "baseline_period_end": "31/03/2015",
        "target_value": "40",
        "followup_value": "35.5",
        "followup_period_start": "2016-04-01",
        "followup_period_end": "2017-03-31",
        "comparison_value": "21.25",
        "effect_size": "0.31",
        "ci_lower": "0.12",
        "ci_upper": "0.5",
        "p_value": "0.003",
        "significance": "significant",
        "source_report": "",
        "source_location": "Table 4.2",
    }
    values.update(changes)
    return values


def authority_options(page):
    """The options of the authority select, as (value, label, selected)."""
    select = page[page.index('<select name="authority"') :]
    select = select[: select.index("</select>")]
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    ]


def snapshot():
    return list(OutcomeResult.objects.order_by("pk").values())


# Happy paths


def test_an_assigned_evaluator_records_a_result(client, world):
    report = EvaluationReport.objects.create(evaluation=world.evaluation, title="Interim report", kind="interim")
    client.force_login(world.users.evaluator)
    response = client.post(create_url(world.evaluation), data(world, source_report=report.pk))
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("evaluations:detail", kwargs={"evaluation_pk": world.evaluation.pk}) + "#results"
    )
    result = OutcomeResult.objects.get(evaluation=world.evaluation, authority=world.derbyshire)
    assert result.measure == world.measure
    assert result.unit == "percent"  # typed in the measure's unit
    assert result.baseline_value == Decimal("20")
    assert (result.baseline_period_start, result.baseline_period_end) == (dt.date(2014, 4, 1), dt.date(2015, 3, 31))
    assert result.target_value == Decimal("40")
    assert result.followup_value == Decimal("35.5")
    assert (result.followup_period_start, result.followup_period_end) == (dt.date(2016, 4, 1), dt.date(2017, 3, 31))
    assert result.comparison_value == Decimal("21.25")
    assert (result.effect_size, result.ci_lower, result.ci_upper) == (Decimal("0.31"), Decimal("0.12"), Decimal("0.5"))
    assert result.p_value == Decimal("0.003")
    assert result.significance == "significant"
    assert result.source_report == report
    assert result.source_location == "Table 4.2"
    assert result.recorded_by == world.users.evaluator
    assert result.illustrative is False
    page = client.get(response["Location"]).content.decode()
    assert "Result for Social work time in direct work with families added" in page
    assert "govuk-notification-banner--success" in page


def test_only_the_required_figures_are_needed(client, world):
    measure = OutcomeMeasure.objects.create(
        name="Children looked after per 10,000",
        outcome_area=world.measure.outcome_area,
        unit="per_10000",
        direction="lower",
    )
    client.force_login(world.users.evaluator)
    response = client.post(
        create_url(world.evaluation),
        {
            "measure": measure.pk,
            "baseline_value": "64",
            "baseline_period_start": "01/04/2014",
            "baseline_period_end": "31/03/2015",
            "significance": "not_tested",
        },
    )
    assert response.status_code == 302
    result = OutcomeResult.objects.get(measure=measure)
    assert result.authority is None
    assert result.baseline_value == Decimal("64")
    assert result.followup_value is None and result.effect_size is None and result.p_value is None


@pytest.mark.parametrize("name", ["officer", "admin"])
def test_officers_record_results_on_any_evaluation(client, world, name):
    client.force_login(getattr(world.users, name))
    response = client.post(create_url(world.other_evaluation), data(world, authority=world.kent.pk))
    assert response.status_code == 302
    result = OutcomeResult.objects.get(evaluation=world.other_evaluation, authority=world.kent)
    assert result.recorded_by == getattr(world.users, name)


def test_the_form_page_has_every_field_with_a_label_and_a_back_link(client, world):
    client.force_login(world.users.evaluator)
    page = client.get(create_url(world.evaluation)).content.decode()
    assert 'class="govuk-back-link"' in page
    assert '<form method="post" novalidate>' in page
    for name in data(world):
        first_box = "-day" if "_period_" in name else ""  # a date is three boxes; the day box comes first
        assert f'for="id_{name}{first_box}"' in page, name
    assert "Baseline period start" in page and "For example, 27 3 2016" in page
    assert "Social work time in direct work with families (per cent)" in page
    # Only the project's lead and partners are offered, by name; any other organisation is typed, for a
    # comparison group, in the box after the select.
    assert [label for _, label, _ in authority_options(page)] == [
        "All authorities in the evaluation",
        "Derbyshire County Council",
        "London Borough of Harrow",
        "Morning Lane Associates",
    ]
    assert "Kent County Council" not in page and "<optgroup" not in page
    assert (
        page.index('for="id_authority"')
        < page.index('for="id_other_authority"')
        < page.index('for="id_comparison_group"')
    )
    assert "Or another organisation, for a comparison group (optional)" in page
    assert 'id="id_other_authority_helptext"' in page and "Its name or org-id, for example GB-LAE-HRT" in page
    assert 'for="id_comparison_group"' in page


def test_the_source_report_must_be_one_of_this_evaluations_reports(client, world):
    own = EvaluationReport.objects.create(evaluation=world.evaluation, title="Our report", kind="interim")
    theirs = EvaluationReport.objects.create(evaluation=world.other_evaluation, title="Kent's report", kind="final")
    client.force_login(world.users.evaluator)
    page = client.get(create_url(world.evaluation)).content.decode()
    assert "Our report" in page and "Kent&#x27;s report" not in page and "Kent's report" not in page
    before = snapshot()
    response = client.post(create_url(world.evaluation), data(world, source_report=theirs.pk))
    assert "Choose one of this evaluation&#x27;s reports" in response.content.decode()
    assert snapshot() == before
    assert own.pk


def test_an_evaluator_changes_a_result_of_their_evaluation(client, world):
    client.force_login(world.users.evaluator)
    page = client.get(edit_url(world.result)).content.decode()
    assert 'value="20"' in page  # shown as written, not 20.0000
    assert "Change the result for Social work time in direct work with families" in page
    response = client.post(edit_url(world.result), data(world, authority="", followup_value="31"))
    assert response.status_code == 302
    world.result.refresh_from_db()
    assert world.result.followup_value == Decimal("31")
    assert world.result.followup_period_start == dt.date(2016, 4, 1)
    assert world.result.recorded_by == world.users.evaluator
    assert OutcomeResult.objects.filter(evaluation=world.evaluation).count() == 1
    assert (
        "Result for Social work time in direct work with families changed"
        in client.get(response["Location"]).content.decode()
    )


def test_an_officer_changes_any_result(client, world):
    client.force_login(world.users.officer)
    response = client.post(edit_url(world.other_result), data(world, authority="", baseline_value="26"))
    assert response.status_code == 302
    world.other_result.refresh_from_db()
    assert world.other_result.baseline_value == Decimal("26")
    assert world.other_result.recorded_by == world.users.officer


# Who may not


def test_an_evaluator_cannot_add_to_an_evaluation_not_assigned_to_them(client, world):
    client.force_login(world.users.evaluator)
    before = snapshot()
    assert client.get(create_url(world.other_evaluation)).status_code == 404
    assert client.post(create_url(world.other_evaluation), data(world, authority=world.kent.pk)).status_code == 404
    assert snapshot() == before


def test_an_evaluator_editing_another_evaluations_result_gets_404(client, world):
    client.force_login(world.users.evaluator)
    before = snapshot()
    assert client.get(edit_url(world.other_result)).status_code == 404
    assert client.post(edit_url(world.other_result), data(world, authority="", baseline_value="1")).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("name", ["viewer", "finance", "morninglane", "derbyshire", "kent", "outsider"])
def test_other_roles_are_refused(client, world, name):
    client.force_login(getattr(world.users, name))
    before = snapshot()
    assert client.get(create_url(world.evaluation)).status_code == 403
    assert client.get(edit_url(world.result)).status_code == 403
    assert client.post(create_url(world.evaluation), data(world)).status_code == 403
    assert client.post(edit_url(world.result), data(world, authority="", baseline_value="1")).status_code == 403
    assert snapshot() == before


def test_signing_in_is_required(client, world):
    response = client.post(create_url(world.evaluation), data(world))
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]
    assert OutcomeResult.objects.count() == 2


def test_the_service_refuses_people_who_may_not_edit(world):
    result = OutcomeResult(
        evaluation=world.other_evaluation,
        measure=world.measure,
        authority=world.kent,
        baseline_value=Decimal("1"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
    )
    for user in (world.users.evaluator, world.users.viewer, world.users.finance, world.users.kent):
        with pytest.raises(PermissionDenied):
            save_result(result=result, by=user)
    assert OutcomeResult.objects.count() == 2


def test_the_service_refuses_a_duplicate_without_a_database_error(world):
    duplicate = OutcomeResult(
        evaluation=world.evaluation,
        measure=world.measure,
        baseline_value=Decimal("1"),
        baseline_period_start=dt.date(2014, 4, 1),
        baseline_period_end=dt.date(2015, 3, 31),
    )
    with pytest.raises(ValidationError):
        save_result(result=duplicate, by=world.users.officer)
    assert OutcomeResult.objects.count() == 2


# Bad input: a clear message next to the field, and nothing written

BAD_INPUT = [
    ("measure", "", "Choose the outcome measure"),
    ("measure", "999999", "Choose an outcome measure from the list"),
    ("measure", "abc", "Choose an outcome measure from the list"),
    ("baseline_value", "", "Enter the baseline value"),
    ("baseline_value", "abc", "The baseline value must be a number, like 23.5"),
    ("baseline_value", "-5", "The baseline value must be 0 or more"),
    ("baseline_value", "1e999", "The baseline value must be a number, like 23.5"),
    ("baseline_value", "1_000", "The baseline value must be a number, like 23.5"),
    ("baseline_value", "١٢٣", "The baseline value must be a number, like 23.5"),
    ("baseline_value", "NaN", "The baseline value must be a number, like 23.5"),
    ("baseline_value", "123456789012345", "The baseline value must have no more than 14 digits"),
    ("baseline_value", "1.12345", "The baseline value must have no more than 4 decimal places"),
    ("baseline_value", "150", "The baseline value is a percentage, so it must be between 0 and 100"),
    ("target_value", "-1", "The target must be 0 or more"),
    ("target_value", "100.01", "The target is a percentage, so it must be between 0 and 100"),
    ("followup_value", "101", "The follow-up value is a percentage, so it must be between 0 and 100"),
    ("followup_value", "-0.5", "The follow-up value must be 0 or more"),
    ("comparison_value", "-3", "The comparison group value must be 0 or more"),
    ("comparison_value", "200", "The comparison group value is a percentage, so it must be between 0 and 100"),
    ("effect_size", "big", "The effect size must be a number, like 23.5"),
    ("p_value", "2", "The p-value must be between 0 and 1"),
    ("p_value", "-0.01", "The p-value must be between 0 and 1"),
    ("p_value", "0.000001", "The p-value must have no more than 5 decimal places"),
    ("ci_lower", "0.4", "The confidence interval must contain the effect size: the lower bound must be 0.31 or less"),
    ("ci_upper", "0.2", "The confidence interval must contain the effect size: the upper bound must be 0.31 or more"),
    ("ci_upper", "", "Enter both bounds of the confidence interval, or neither"),
    ("ci_lower", "", "Enter both bounds of the confidence interval, or neither"),
    ("effect_size", "", "Enter the effect size the confidence interval is for"),
    ("baseline_period_start", "", "Enter the date the baseline period starts"),
    ("baseline_period_end", "31/02/2015", "The date the baseline period ends must be a real date"),
    ("baseline_period_end", "2014-03-01", "The baseline period must end on or after the day it starts"),
    (
        "followup_period_start",
        "2015-01-01",
        "The follow-up period must start after the baseline period ends (31/03/2015)",
    ),
    (
        "followup_period_start",
        "2015-03-31",
        "The follow-up period must start after the baseline period ends (31/03/2015)",
    ),
    ("followup_period_end", "2016-01-01", "The follow-up period must end on or after the day it starts"),
    ("followup_period_end", "", "Enter the date the follow-up period ends, or leave both dates empty"),
    ("followup_period_start", "", "Enter the date the follow-up period starts, or leave both dates empty"),
    ("authority", "999999", "Choose an organisation from the list"),
    ("significance", "maybe", "Choose whether the result is statistically significant"),
    ("significance", "", "Choose whether the result is statistically significant"),
    ("source_report", "999999", "Choose one of this evaluation&#x27;s reports"),
    ("source_location", "x" * 201, "Where in the report must be 200 characters or fewer"),
]


@pytest.mark.parametrize("field, value, message", BAD_INPUT)
def test_bad_input_on_a_new_result_is_explained_and_nothing_is_written(client, world, field, value, message):
    client.force_login(world.users.evaluator)
    before = snapshot()
    response = client.post(create_url(world.evaluation), data(world, **{field: value}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert "govuk-form-group--error" in page
    assert "Constraint" not in page  # the model's own message, never the database's
    assert snapshot() == before


@pytest.mark.parametrize("field, value, message", BAD_INPUT)
def test_bad_input_on_a_changed_result_is_explained_and_nothing_changes(client, world, field, value, message):
    client.force_login(world.users.evaluator)
    before = snapshot()
    response = client.post(edit_url(world.result), {**data(world, authority=""), field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot() == before


def test_an_empty_form_names_every_required_field(client, world):
    client.force_login(world.users.evaluator)
    page = client.post(create_url(world.evaluation), {}).content.decode()
    for message in (
        "Choose the outcome measure",
        "Enter the baseline value",
        "Enter the date the baseline period starts",
        "Enter the date the baseline period ends",
        "Choose whether the result is statistically significant",
    ):
        assert message in page
    assert 'href="#id_measure"' in page
    assert OutcomeResult.objects.count() == 2


def test_a_follow_up_value_needs_its_period(client, world):
    client.force_login(world.users.evaluator)
    response = client.post(create_url(world.evaluation), data(world, followup_period_start="", followup_period_end=""))
    assert "Enter the follow-up period the follow-up value is for" in response.content.decode()
    assert "Constraint" not in response.content.decode()
    assert OutcomeResult.objects.count() == 2


def test_a_measure_that_is_not_a_percentage_may_exceed_100(client, world):
    measure = OutcomeMeasure.objects.create(
        name="Average caseload", outcome_area=world.measure.outcome_area, unit="number", direction="lower"
    )
    client.force_login(world.users.evaluator)
    response = client.post(
        create_url(world.evaluation),
        data(world, measure=measure.pk, baseline_value="150", target_value="120", followup_value="130"),
    )
    assert response.status_code == 302
    assert OutcomeResult.objects.get(measure=measure).baseline_value == Decimal("150")


def test_a_negative_effect_and_interval_are_allowed(client, world):
    client.force_login(world.users.evaluator)
    response = client.post(create_url(world.evaluation), data(world, effect_size="-0.2", ci_lower="-0.4", ci_upper="0"))
    assert response.status_code == 302
    assert OutcomeResult.objects.get(authority=world.derbyshire).ci_lower == Decimal("-0.4")


def test_a_second_result_for_the_same_measure_and_authority_is_refused(client, world):
    client.force_login(world.users.evaluator)
    before = snapshot()
    response = client.post(create_url(world.evaluation), data(world, authority=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "This evaluation already has a result for Social work time in direct work with families across all its "
        "authorities: change that result instead"
    ) in page
    assert snapshot() == before
    assert client.post(create_url(world.evaluation), data(world)).status_code == 302
    response = client.post(create_url(world.evaluation), data(world))
    assert "already has a result for Social work time in direct work with families for Derbyshire County Council" in (
        response.content.decode()
    )
    assert OutcomeResult.objects.filter(evaluation=world.evaluation).count() == 2


def test_changing_a_result_into_a_duplicate_is_refused(client, world):
    client.force_login(world.users.evaluator)
    client.post(create_url(world.evaluation), data(world))
    derbyshire = OutcomeResult.objects.get(authority=world.derbyshire)
    before = snapshot()
    response = client.post(edit_url(derbyshire), data(world, authority=""))
    assert "already has a result for Social work time in direct work with families across all its authorities" in (
        response.content.decode()
    )
    assert snapshot() == before


def test_the_same_measure_may_be_recorded_in_another_evaluation(client, world):
    client.force_login(world.users.officer)
    response = client.post(create_url(world.other_evaluation), data(world, authority=world.kent.pk))
    assert response.status_code == 302
