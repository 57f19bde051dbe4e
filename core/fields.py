"""The one money field, the one number field and the one date field of every form,
and the text parsers behind them. The spreadsheet imports read text cells with the
same parsers, so "£25,000" means the same typed into a page or into a cell.

Text is matched against strict patterns of ASCII digits before anything else sees
it: Python's ``Decimal()`` and ``int()`` would take "1e3", "1_000", "NaN" and
Arabic-Indic digits ("١٢٣"), none of which a person means as an amount, and
``Decimal("1e30").quantize()`` raises rather than refusing.
"""

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.utils import timezone

PENNY = Decimal("0.01")
# Money columns hold 14 digits, 2 of them pence (grants.models.money_field).
MONEY_LIMIT = Decimal("1000000000000")
MONEY_LIMIT_TEXT = "£1,000,000,000,000"
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
TODAY = "today"  # a bound that moves: the day the form is checked
DATE_HINT = "For example, 27 3 2016"

# Digits grouped in threes by commas, or not grouped at all; a point and the
# fraction. [0-9], not \d: \d matches every script's digits.
_NUMBER = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.(?P<fraction>[0-9]*))?")
_ISO_DATE = re.compile(r"(?P<year>[0-9]+)-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})")
_UK_DATE = re.compile(r"(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]+)")
_DIGITS = re.compile(r"[0-9]+")


class Unreadable(ValueError):
    """What was typed is not what the field asks for. The message says what to type;
    ``parts`` names the boxes of a date that are wrong (all of them when empty)."""

    def __init__(self, message: str, code: str = "invalid", parts: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.code = code
        self.parts = parts

    def as_validation_error(self) -> forms.ValidationError:
        error = forms.ValidationError(self.message, code=self.code)
        error.parts = self.parts  # not params: a message with "%" in it would be formatted with them
        return error


def sentence(noun: str) -> str:
    """ "the amount awarded" as the start of a sentence."""
    return noun[:1].upper() + noun[1:]


def _split_number(text: str) -> tuple[bool, str, str] | None:
    """(negative, whole digits, fraction digits) of a number as people type it, or None."""
    text = text.strip()
    negative = text.startswith("-")
    text = text.removeprefix("-").strip()
    match = _NUMBER.fullmatch(text)
    if match is None or not (match["whole"] or match["fraction"]):
        return None
    return negative, (match["whole"] or "").replace(",", ""), match["fraction"] or ""


def _decimal(negative: bool, whole: str, fraction: str) -> Decimal:
    return Decimal(f"{'-' if negative else ''}{whole or '0'}.{fraction or '0'}")


def check_money(amount: Decimal, *, noun: str = "the amount", min_value: Decimal | None = PENNY) -> Decimal:
    """An amount already read as a Decimal, checked as money: finite, not below
    ``min_value``, less than the limit, whole pence. The size is checked before the
    pence, as ``quantize`` raises on an amount too big for its precision."""
    capital = sentence(noun)
    if not amount.is_finite():
        raise Unreadable(f"{capital} must be a number, like 1250.50")
    if min_value is not None and amount < min_value:
        more = "more than £0" if min_value > 0 else f"£{min_value:,} or more"
        raise Unreadable(f"{capital} must be {more}", "min_value")
    if abs(amount) >= MONEY_LIMIT:
        raise Unreadable(f"{capital} must be less than {MONEY_LIMIT_TEXT}", "max_value")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(PENNY):
        raise Unreadable(
            f"{capital} must be in pounds and pence, with no more than 2 decimal places", "max_decimal_places"
        )
    return amount.quantize(PENNY)


def parse_money(text: str, *, noun: str = "the amount", min_value: Decimal | None = PENNY) -> Decimal:
    """Pounds and pence as people type them: "£25,000", "25000", " £ 1,250.5 ", "0.50".
    Raise Unreadable for anything else, with a message naming ``noun``."""
    cleaned = text.strip()
    negative = cleaned.startswith("-")
    cleaned = cleaned.removeprefix("-").strip().removeprefix("£").strip()
    if cleaned.startswith("-") and not negative:
        negative, cleaned = True, cleaned[1:]
    parts = _split_number(cleaned) if not cleaned.startswith("-") else None
    if parts is None:
        raise Unreadable(f"{sentence(noun)} must be a number, like 1250.50")
    _, whole, fraction = parts
    if len(whole.lstrip("0")) >= len(str(int(MONEY_LIMIT))) and not (negative and min_value is not None):
        # A 400-digit amount is refused by its length, before it becomes a Decimal.
        raise Unreadable(f"{sentence(noun)} must be less than {MONEY_LIMIT_TEXT}", "max_value")
    pence = fraction.rstrip("0")
    if len(pence) > 2 and not negative:
        raise Unreadable(
            f"{sentence(noun)} must be in pounds and pence, with no more than 2 decimal places", "max_decimal_places"
        )
    amount = _decimal(negative, whole, pence[:2])
    return check_money(amount, noun=noun, min_value=min_value)


def check_number(
    number: Decimal,
    *,
    noun: str = "the number",
    places: int = 4,
    max_digits: int = 14,
    min_value: Decimal | int | None = None,
    max_value: Decimal | int | None = None,
) -> Decimal:
    """A number already read as a Decimal: finite, within its bounds, with no more
    digits than the database column holds. Sizes are checked before ``quantize``."""
    capital = sentence(noun)
    if not number.is_finite():
        raise Unreadable(f"{capital} must be a number, like 23.5")
    between = f"{capital} must be between {min_value} and {max_value}"
    if min_value is not None and number < min_value:
        raise Unreadable(between if max_value is not None else f"{capital} must be {min_value} or more", "min_value")
    if max_value is not None and number > max_value:
        raise Unreadable(between if min_value is not None else f"{capital} must be {max_value} or less", "max_value")
    sign, digits, exponent = number.as_tuple()
    whole_digits = max(len(digits) + exponent, 0)
    if whole_digits > max_digits:
        raise Unreadable(f"{capital} must have no more than {max_digits} digits", "max_digits")
    if whole_digits > max_digits - places:
        raise Unreadable(
            f"{capital} must have no more than {max_digits - places} digits before the decimal point",
            "max_whole_digits",
        )
    if exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise Unreadable(f"{capital} must have no more than {places} decimal places", "max_decimal_places")
    return number.quantize(Decimal(1).scaleb(-places))


def parse_number(
    text: str,
    *,
    noun: str = "the number",
    places: int = 4,
    max_digits: int = 14,
    min_value: Decimal | int | None = None,
    max_value: Decimal | int | None = None,
) -> Decimal:
    """A number typed by a person: "23.5", "-0.4", "10,000". Raise Unreadable for
    "1e3", "1_000", "NaN", other scripts' digits and the like."""
    parts = _split_number(text)
    if parts is None:
        raise Unreadable(f"{sentence(noun)} must be a number, like 23.5")
    negative, whole, fraction = parts
    if len(whole.lstrip("0")) > max_digits:
        raise Unreadable(f"{sentence(noun)} must have no more than {max_digits} digits", "max_digits")
    decimals = fraction.rstrip("0")
    # The bounds are checked on the figure cut to ``places``, then the places themselves:
    # a long fraction is never handed to Decimal whole.
    number = check_number(
        _decimal(negative, whole, decimals[:places]),
        noun=noun,
        places=places,
        max_digits=max_digits,
        min_value=min_value,
        max_value=max_value,
    )
    if len(decimals) > places:
        raise Unreadable(f"{sentence(noun)} must have no more than {places} decimal places", "max_decimal_places")
    return number


def date_from_parts(day, month, year, *, noun: str = "the date") -> dt.date | None:
    """The day typed into the GOV.UK date input's three boxes; None when all three are
    empty. The messages are the Design System's for the date input."""
    capital = sentence(noun)
    values = {"day": str(day or "").strip(), "month": str(month or "").strip(), "year": str(year or "").strip()}
    missing = [part for part, value in values.items() if not value]
    if len(missing) == 3:
        return None
    if missing:
        raise Unreadable(f"{capital} must include a {' and '.join(missing)}", "incomplete", tuple(missing))
    wrong = tuple(part for part, value in values.items() if not _DIGITS.fullmatch(value))
    if wrong:
        raise Unreadable(f"{capital} must be a real date", "invalid", wrong)
    if len(values["year"]) != 4:
        raise Unreadable("The year must include 4 numbers", "invalid_year", ("year",))
    if len(values["day"]) > 2 or len(values["month"]) > 2:
        raise Unreadable(f"{capital} must be a real date")
    try:
        return dt.date(int(values["year"]), int(values["month"]), int(values["day"]))
    except ValueError:
        raise Unreadable(f"{capital} must be a real date") from None


def parse_date(text: str, *, noun: str = "the date") -> dt.date | None:
    """A date written in one piece, as 2016-03-31 or 31/3/2016; None when empty."""
    text = text.strip()
    if not text:
        return None
    match = _ISO_DATE.fullmatch(text) or _UK_DATE.fullmatch(text)
    if match is None:
        raise Unreadable(f"{sentence(noun)} must be a real date")
    return date_from_parts(match["day"], match["month"], match["year"], noun=noun)


def _bound(value) -> dt.date:
    return timezone.localdate() if value == TODAY else value


def check_date(day: dt.date, *, noun: str = "the date", earliest=EARLIEST, latest=LATEST) -> dt.date:
    """A real date within the field's plausible span; ``TODAY`` as a bound is the day of the check."""
    capital = sentence(noun)
    if earliest is not None and day < _bound(earliest):
        after = "today or in the future" if earliest == TODAY else f"on or after {earliest:%-d %B %Y}"
        raise Unreadable(f"{capital} must be {after}", "earliest")
    if latest is not None and day > _bound(latest):
        before = "today or in the past" if latest == TODAY else f"on or before {latest:%-d %B %Y}"
        raise Unreadable(f"{capital} must be {before}", "latest")
    return day


# The form fields


class _FigureField(forms.Field):
    """A figure typed in a text box (GOV.UK advises against type=number): text is read by
    ``parse``, a number already read (an initial value) is checked by ``check``."""

    example = "1250.50"

    def __init__(self, *, label, noun, **kwargs):
        self.noun = noun
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false", "class": "govuk-input--width-10"}),
        )
        kwargs.setdefault("error_messages", {}).setdefault("required", f"Enter {noun}")
        super().__init__(label=label, **kwargs)

    def parse(self, text: str) -> Decimal:
        raise NotImplementedError

    def check(self, number: Decimal) -> Decimal:
        raise NotImplementedError

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, str):
                return self.parse(value)
            if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
                return self.check(Decimal(value))
        except Unreadable as error:
            raise error.as_validation_error() from None
        raise forms.ValidationError(f"{sentence(self.noun)} must be a number, like {self.example}", code="invalid")


class MoneyField(_FigureField):
    """Pounds and pence."""

    def __init__(self, *, label, noun, min_value: Decimal | None = PENNY, **kwargs):
        self.min_value = min_value
        super().__init__(label=label, noun=noun, **kwargs)

    def parse(self, text):
        return parse_money(text, noun=self.noun, min_value=self.min_value)

    def check(self, number):
        return check_money(number, noun=self.noun, min_value=self.min_value)


class NumberField(_FigureField):
    """A figure that is not money (an outcome value, an effect size)."""

    example = "23.5"

    def __init__(self, *, label, noun, places=4, max_digits=14, min_value=None, max_value=None, **kwargs):
        self.limits = {"places": places, "max_digits": max_digits, "min_value": min_value, "max_value": max_value}
        super().__init__(label=label, noun=noun, **kwargs)

    def parse(self, text):
        return parse_number(text, noun=self.noun, **self.limits)

    def check(self, number):
        return check_number(number, noun=self.noun, **self.limits)


class GovukDateInput(forms.MultiWidget):
    """The GOV.UK date input: boxes named ``<name>-day``, ``<name>-month`` and
    ``<name>-year``. A single ``<name>`` value (2016-03-31 or 31/3/2016), as a link
    or an older client sends, is read when the three boxes are absent."""

    template_name = "govuk/date_input.html"
    parts = ("day", "month", "year")

    def __init__(self, attrs=None):
        box = {"inputmode": "numeric", "spellcheck": "false"}
        super().__init__([forms.TextInput(box) for _ in self.parts], attrs)
        self.widgets_names = [f"-{part}" for part in self.parts]
        self.error_parts: tuple[str, ...] | None = None  # set by GovukFormMixin when the field has an error

    def id_for_label(self, id_):
        return f"{id_}-day" if id_ else id_

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [str(value.day), str(value.month), str(value.year)]
        if isinstance(value, str):
            match = _ISO_DATE.fullmatch(value.strip()) or _UK_DATE.fullmatch(value.strip())
            if match:
                return [match["day"], match["month"], match["year"]]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        keys = [name + suffix for suffix in self.widgets_names]
        if any(key in data for key in keys):
            return [data.get(key, "") for key in keys]
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and all(name + suffix not in data for suffix in self.widgets_names)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        own_id = context["widget"]["attrs"].get("id")
        for part, box in zip(self.parts, context["widget"]["subwidgets"], strict=True):
            wrong = self.error_parts is not None and (not self.error_parts or part in self.error_parts)
            width = 4 if part == "year" else 2
            box["attrs"].pop("aria-describedby", None)  # the fieldset is described, not each box
            box["attrs"]["class"] = f"govuk-input govuk-date-input__input govuk-input--width-{width}" + (
                " govuk-input--error" if wrong else ""
            )
            if own_id:
                box["attrs"]["id"] = f"{own_id}-{part}"
            box["part"] = part.capitalize()
        return context


class DateField(forms.Field):
    """A day typed into the GOV.UK date input, refused unless it is a real date
    between ``earliest`` and ``latest`` (dates, ``TODAY`` or None for no bound)."""

    widget = GovukDateInput

    def __init__(self, *, label, noun, earliest=EARLIEST, latest=LATEST, **kwargs):
        self.noun, self.earliest, self.latest = noun, earliest, latest
        kwargs.setdefault("help_text", DATE_HINT)
        kwargs.setdefault("template_name", "govuk/date_field.html")
        kwargs.setdefault("error_messages", {}).setdefault("required", f"Enter {noun}")
        super().__init__(label=label, **kwargs)

    def to_python(self, value):
        try:
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            if isinstance(value, (list, tuple)):
                return date_from_parts(*(list(value) + ["", "", ""])[:3], noun=self.noun)
            if isinstance(value, str):
                return parse_date(value, noun=self.noun)
            if value is None:
                return None
        except Unreadable as error:
            raise error.as_validation_error() from None
        raise forms.ValidationError(f"{sentence(self.noun)} must be a real date", code="invalid")

    def validate(self, value):
        super().validate(value)
        if value is not None:
            try:
                check_date(value, noun=self.noun, earliest=self.earliest, latest=self.latest)
            except Unreadable as error:
                raise error.as_validation_error() from None
