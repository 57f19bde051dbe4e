"""The one money field, number field and date field: what they take, what they
refuse and what they say, and the GOV.UK date input they render."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core.fields import (
    TODAY,
    DateField,
    MoneyField,
    NumberField,
    Unreadable,
    parse_date,
    parse_money,
    parse_number,
)
from core.forms import GovukForm


class PaymentForm(GovukForm):
    amount = MoneyField(label="Amount awarded, in pounds", noun="the amount awarded")
    spent = MoneyField(label="Spent", noun="the amount spent", min_value=D("0"), required=False)
    paid_on = DateField(label="Payment date", noun="the payment date", latest=TODAY)
    due = DateField(label="Due date", noun="the due date", required=False)
    value = NumberField(label="Baseline value", noun="the baseline value", min_value=0, required=False)


def errors(data) -> dict[str, str]:
    form = PaymentForm({"amount": "1", "paid_on": "1/4/2016", **data})
    form.is_valid()
    return {name: messages[0] for name, messages in form.errors.items()}


@pytest.mark.parametrize(
    "text, amount",
    [
        ("£25,000", D("25000.00")),
        ("25000", D("25000.00")),
        ("25,000.50", D("25000.50")),
        (" £ 1,250.5 ", D("1250.50")),
        ("0.50", D("0.50")),
        ("1,000,000", D("1000000.00")),
        ("999999999999.99", D("999999999999.99")),
        ("12.300", D("12.30")),  # trailing zeros are not pence
    ],
)
def test_money_is_read_as_people_type_it(text, amount):
    assert parse_money(text, noun="the amount awarded") == amount
    assert PaymentForm({"amount": text, "paid_on": "1/4/2016"}).is_valid()


@pytest.mark.parametrize(
    "text, message",
    [
        ("1e3", "The amount awarded must be a number, like 1250.50"),
        ("1E3", "The amount awarded must be a number, like 1250.50"),
        ("1_000", "The amount awarded must be a number, like 1250.50"),
        ("1,0", "The amount awarded must be a number, like 1250.50"),
        ("12,34,567", "The amount awarded must be a number, like 1250.50"),
        ("١٢٣", "The amount awarded must be a number, like 1250.50"),  # Arabic-Indic digits
        ("१२३", "The amount awarded must be a number, like 1250.50"),  # Devanagari digits
        ("１２３", "The amount awarded must be a number, like 1250.50"),  # full-width digits
        ("NaN", "The amount awarded must be a number, like 1250.50"),
        ("Infinity", "The amount awarded must be a number, like 1250.50"),
        ("-inf", "The amount awarded must be a number, like 1250.50"),
        ("$25", "The amount awarded must be a number, like 1250.50"),
        ("1 000", "The amount awarded must be a number, like 1250.50"),
        ("£", "The amount awarded must be a number, like 1250.50"),
        ("--5", "The amount awarded must be a number, like 1250.50"),
        ("1.005", "The amount awarded must be in pounds and pence, with no more than 2 decimal places"),
        ("0.001", "The amount awarded must be in pounds and pence, with no more than 2 decimal places"),
        ("0." + "0" * 5000 + "1", "The amount awarded must be in pounds and pence, with no more than 2 decimal places"),
        ("-5", "The amount awarded must be more than £0"),
        ("£-5", "The amount awarded must be more than £0"),
        ("0", "The amount awarded must be more than £0"),
        ("1000000000000", "The amount awarded must be less than £1,000,000,000,000"),
        ("£1,000,000,000,000", "The amount awarded must be less than £1,000,000,000,000"),
        ("9" * 400, "The amount awarded must be less than £1,000,000,000,000"),
    ],
)
def test_money_that_is_not_plainly_pounds_and_pence_is_refused_with_the_fields_name(text, message):
    with pytest.raises(Unreadable, match=re.escape(message)):
        parse_money(text, noun="the amount awarded")
    assert errors({"amount": text}) == {"amount": message}


def test_money_may_be_nothing_or_more_where_the_field_says_so():
    assert parse_money("0", min_value=D("0")) == D("0.00")
    assert errors({"spent": "0"}) == {}
    assert errors({"spent": "-0.01"}) == {"spent": "The amount spent must be £0 or more"}
    assert errors({"amount": ""}) == {"amount": "Enter the amount awarded"}
    assert parse_money("-5", min_value=None) == D("-5.00")


@given(st.decimals(min_value=D("0.01"), max_value=D("999999999999.99"), places=2))
def test_any_amount_written_with_or_without_its_thousands_separators_reads_back_exactly(amount):
    assert parse_money(f"£{amount:,}") == amount
    assert parse_money(f"{amount}") == amount


@given(st.text(max_size=30))
def test_any_text_is_read_or_refused_with_a_message_never_an_exception(text):
    for parse in (parse_money, parse_number, parse_date):
        try:
            parse(text)
        except Unreadable as error:
            assert str(error)


@pytest.mark.parametrize(
    "text, message",
    [
        ("1e3", "The baseline value must be a number, like 23.5"),
        ("1_000", "The baseline value must be a number, like 23.5"),
        ("١٢٣", "The baseline value must be a number, like 23.5"),
        ("NaN", "The baseline value must be a number, like 23.5"),
        ("-1", "The baseline value must be 0 or more"),
        ("1.12345", "The baseline value must have no more than 4 decimal places"),
        ("123456789012345", "The baseline value must have no more than 14 digits"),
        ("12345678901", "The baseline value must have no more than 10 digits before the decimal point"),
    ],
)
def test_figures_that_are_not_money_follow_the_same_strict_rules(text, message):
    assert errors({"value": text}) == {"value": message}


def test_figures_are_read_with_their_thousands_separators():
    assert parse_number("10,000.5") == D("10000.5000")
    assert parse_number("-0.25") == D("-0.2500")
    assert parse_number(".5") == D("0.5000")


@pytest.mark.parametrize(
    "data, day",
    [
        ({"paid_on-day": "31", "paid_on-month": "3", "paid_on-year": "2016"}, dt.date(2016, 3, 31)),
        ({"paid_on-day": " 01 ", "paid_on-month": "04", "paid_on-year": "2016"}, dt.date(2016, 4, 1)),
        ({"paid_on": "2016-03-31"}, dt.date(2016, 3, 31)),  # one value, as a link or an older client sends
        ({"paid_on": "31/3/2016"}, dt.date(2016, 3, 31)),
        ({"paid_on": "01/04/2016"}, dt.date(2016, 4, 1)),
    ],
)
def test_a_date_is_read_from_its_three_boxes_or_from_one_value(data, day):
    form = PaymentForm({"amount": "1", "paid_on": "", **data})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["paid_on"] == day


def test_the_three_boxes_win_over_a_single_value():
    form = PaymentForm(
        {"amount": "1", "paid_on": "1/1/2015", "paid_on-day": "2", "paid_on-month": "2", "paid_on-year": "2016"}
    )
    assert form.is_valid() and form.cleaned_data["paid_on"] == dt.date(2016, 2, 2)


def boxes(day="", month="", year=""):
    return {"paid_on-day": day, "paid_on-month": month, "paid_on-year": year}


@pytest.mark.parametrize(
    "data, message",
    [
        (boxes(), "Enter the payment date"),
        (boxes("31", "", "2016"), "The payment date must include a month"),
        (boxes("", "", "2016"), "The payment date must include a day and month"),
        (boxes("31", "3", ""), "The payment date must include a year"),
        (boxes("31", "2", "2016"), "The payment date must be a real date"),
        (boxes("0", "1", "2016"), "The payment date must be a real date"),
        (boxes("1", "13", "2016"), "The payment date must be a real date"),
        (boxes("one", "3", "2016"), "The payment date must be a real date"),
        (boxes("٣", "3", "2016"), "The payment date must be a real date"),
        (boxes("1", "3", "٢٠١٦"), "The payment date must be a real date"),
        (boxes("1", "3", "16"), "The year must include 4 numbers"),
        (boxes("1", "3", "20160"), "The year must include 4 numbers"),
        (boxes("1", "3", "1999"), "The payment date must be on or after 1 January 2000"),
        (boxes("1", "3", "0001"), "The payment date must be on or after 1 January 2000"),
        ({"paid_on": "tomorrow"}, "The payment date must be a real date"),
        ({"paid_on": "2016-13-01"}, "The payment date must be a real date"),
        ({"paid_on": "x" * 500}, "The payment date must be a real date"),
        ({"paid_on": "31/3/16"}, "The year must include 4 numbers"),
    ],
)
def test_a_date_that_is_not_a_real_plausible_day_gets_the_design_systems_message(data, message):
    assert errors({"paid_on": "", **data}) == {"paid_on": message}


def test_a_date_after_its_latest_day_is_refused():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert errors({"paid_on": tomorrow.isoformat()}) == {"paid_on": "The payment date must be today or in the past"}
    assert errors({"paid_on": timezone.localdate().isoformat()}) == {}
    assert errors({"due": "1/1/2101"}) == {"due": "The due date must be on or before 31 December 2100"}
    assert errors({"due": "31/12/2100"}) == {}


def test_the_date_input_is_the_gov_uk_component_and_marks_the_box_at_fault():
    form = PaymentForm({"amount": "1", **boxes("31", "", "2016")})
    assert not form.is_valid()
    html = str(form["paid_on"].as_field_group())
    assert (
        '<fieldset class="govuk-fieldset" role="group" aria-describedby="id_paid_on_helptext id_paid_on-error">'
    ) in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Payment date</legend>' in html
    assert '<div id="id_paid_on_helptext" class="govuk-hint">For example, 27 3 2016</div>' in html
    assert (
        '<p id="id_paid_on-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> '
        "The payment date must include a month</p>"
    ) in html
    assert '<div class="govuk-date-input" id="id_paid_on">' in html
    assert html.count('<div class="govuk-date-input__item">') == 3
    inputs = {name: tag for tag in re.findall(r"<input[^>]*>", html) for name in re.findall(r'name="([^"]+)"', tag)}
    assert set(inputs) == {"paid_on-day", "paid_on-month", "paid_on-year"}
    assert 'class="govuk-input govuk-date-input__input govuk-input--width-2"' in inputs["paid_on-day"]
    error_box = 'class="govuk-input govuk-date-input__input govuk-input--width-2 govuk-input--error"'
    assert error_box in inputs["paid_on-month"]
    assert 'class="govuk-input govuk-date-input__input govuk-input--width-4"' in inputs["paid_on-year"]
    assert 'value="31"' in inputs["paid_on-day"] and 'value="2016"' in inputs["paid_on-year"]
    assert 'id="id_paid_on-day"' in inputs["paid_on-day"] and 'inputmode="numeric"' in inputs["paid_on-day"]
    assert '<label class="govuk-label govuk-date-input__label" for="id_paid_on-month">Month</label>' in html


def test_a_date_refused_as_a_whole_marks_every_box_and_the_summary_links_to_the_day():
    form = PaymentForm({"amount": "1", **boxes("31", "2", "2016")})
    assert not form.is_valid()
    html = str(form["paid_on"].as_field_group())
    assert html.count("govuk-input--error") == 3
    assert form["paid_on"].id_for_label == "id_paid_on-day"


def test_a_stored_date_is_shown_in_its_three_boxes():
    html = str(PaymentForm(initial={"paid_on": dt.date(2016, 3, 1)})["paid_on"])
    for name, value in (("paid_on-day", "1"), ("paid_on-month", "3"), ("paid_on-year", "2016")):
        assert f'name="{name}" value="{value}"' in html
