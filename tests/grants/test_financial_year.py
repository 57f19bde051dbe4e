import datetime as dt

import pytest

from grants.financial_year import FinancialQuarter, FinancialYear


def test_31_march_is_the_last_day_of_the_year_that_began_the_april_before():
    assert str(FinancialYear.of(dt.date(2017, 3, 31))) == "2016-17"
    assert FinancialQuarter.of(dt.date(2017, 3, 31)) == FinancialQuarter(FinancialYear(2016), 4)


def test_1_april_starts_a_new_year_in_its_first_quarter():
    assert str(FinancialYear.of(dt.date(2017, 4, 1))) == "2017-18"
    assert FinancialQuarter.of(dt.date(2017, 4, 1)) == FinancialQuarter(FinancialYear(2017), 1)


@pytest.mark.parametrize(
    "day, quarter",
    [
        (dt.date(2016, 6, 30), 1),
        (dt.date(2016, 7, 1), 2),
        (dt.date(2016, 9, 30), 2),
        (dt.date(2016, 10, 1), 3),
        (dt.date(2016, 12, 31), 3),
        (dt.date(2017, 1, 1), 4),
    ],
)
def test_quarters_turn_on_the_first_of_july_october_and_january(day, quarter):
    assert FinancialQuarter.of(day).number == quarter
    assert FinancialQuarter.of(day).year == FinancialYear(2016)


def test_quarter_boundaries_are_whole_months():
    year = FinancialYear(2016)
    assert [(q.start, q.end) for q in year.quarters] == [
        (dt.date(2016, 4, 1), dt.date(2016, 6, 30)),
        (dt.date(2016, 7, 1), dt.date(2016, 9, 30)),
        (dt.date(2016, 10, 1), dt.date(2016, 12, 31)),
        (dt.date(2017, 1, 1), dt.date(2017, 3, 31)),
    ]
    assert (year.start, year.end) == (dt.date(2016, 4, 1), dt.date(2017, 3, 31))


def test_the_turn_of_the_century_is_written_with_two_digits():
    assert str(FinancialYear(1999)) == "1999-00"
    assert FinancialYear.parse("1999-00") == FinancialYear(1999)


@pytest.mark.parametrize("label", ["2016-18", "2016/17", "16-17", "", "2016-1"])
def test_labels_that_are_not_a_financial_year_are_refused(label):
    with pytest.raises(ValueError):
        FinancialYear.parse(label)


def test_leap_year_end_of_february_is_in_q4():
    assert FinancialQuarter.of(dt.date(2020, 2, 29)) == FinancialQuarter(FinancialYear(2019), 4)
