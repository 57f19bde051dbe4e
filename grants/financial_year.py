"""The UK government financial year: 1 April to 31 March, written "2016-17".

Q1 is April-June and Q4 January-March. Stored in the database as the year in
which it starts (2016 for 2016-17), so it sorts and groups as a plain integer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

from django.core.exceptions import ValidationError
from django.db import models

_LABEL = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 1990
LAST_YEAR = 2100


@total_ordering
@dataclass(frozen=True)
class FinancialYear:
    start_year: int

    def __post_init__(self):
        if not isinstance(self.start_year, int) or not FIRST_YEAR <= self.start_year <= LAST_YEAR:
            raise ValueError(f"{self.start_year!r} is not a financial year this service records")

    @classmethod
    def of(cls, day: dt.date) -> FinancialYear:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def parse(cls, label: str) -> FinancialYear:
        match = _LABEL.match(label.strip())
        if not match:
            raise ValueError(f"{label!r} is not a financial year like 2016-17")
        start = int(match.group(1))
        if int(match.group(2)) != (start + 1) % 100:
            raise ValueError(f"{label!r} is not a financial year: the second year must follow the first")
        return cls(start)

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.start_year + 1, 3, 31)

    def quarter(self, number: int) -> FinancialQuarter:
        return FinancialQuarter(self, number)

    @property
    def quarters(self) -> list[FinancialQuarter]:
        return [FinancialQuarter(self, n) for n in (1, 2, 3, 4)]

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __add__(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year + years)

    def __lt__(self, other: FinancialYear) -> bool:
        return self.start_year < other.start_year

    def __str__(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"


@total_ordering
@dataclass(frozen=True)
class FinancialQuarter:
    year: FinancialYear
    number: int

    def __post_init__(self):
        if self.number not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1 to 4, not {self.number!r}")

    @classmethod
    def of(cls, day: dt.date) -> FinancialQuarter:
        # April-June is Q1 ... January-March is Q4.
        return cls(FinancialYear.of(day), (day.month - 4) % 12 // 3 + 1)

    @property
    def start(self) -> dt.date:
        month = 4 + 3 * (self.number - 1)
        year = self.year.start_year + (month > 12)
        return dt.date(year, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        month = self.start.month + 3
        year = self.start.year + (month > 12)
        return dt.date(year, (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)

    def __lt__(self, other: FinancialQuarter) -> bool:
        return (self.year, self.number) < (other.year, other.number)

    def __str__(self) -> str:
        return f"{self.year} Q{self.number}"


def financial_year_choices(first: int = 2010, last: int = 2035) -> list[tuple[str, str]]:
    return [(str(FinancialYear(year)),) * 2 for year in range(first, last + 1)]


class FinancialYearField(models.PositiveSmallIntegerField):
    """A financial year, held as its starting calendar year."""

    description = "UK financial year (April to March)"

    @property
    def validators(self):
        # The integer range checks of the parent compare with ints; FinancialYear checks its own range.
        return list(self._validators)

    def from_db_value(self, value, expression, connection):
        return None if value is None else FinancialYear(value)

    def to_python(self, value):
        if value is None or isinstance(value, FinancialYear):
            return value
        try:
            if isinstance(value, str) and "-" in value:
                return FinancialYear.parse(value)
            return FinancialYear(int(value))
        except (TypeError, ValueError) as error:
            raise ValidationError(f"Enter a financial year like 2016-17 ({error})") from None

    def get_prep_value(self, value):
        value = self.to_python(value)
        return None if value is None else value.start_year

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        from django import forms

        defaults = {
            "form_class": forms.TypedChoiceField,
            "choices": financial_year_choices(),
            "coerce": self.to_python,
        }
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)
