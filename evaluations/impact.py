"""How an outcome result's figures are written in their units: 40 per 10,000, 20.5%,
+5 percentage points. For the evaluation pages and the impact report (reports/impact.py)."""

from evaluations.models import OutcomeMeasure, plain

Unit = OutcomeMeasure.Unit

_UNIT_FORMATS = {
    Unit.PERCENT: "{}%",
    Unit.PER_10000: "{} per 10,000",
    Unit.GBP: "£{}",
    Unit.DAYS: "{} days",
    Unit.NUMBER: "{}",
}


def figure(value, unit) -> str:
    """A figure in its unit, as a person would write it: 40 per 10,000, 20.5%, £1,200."""
    if value is None:
        return ""
    number = plain(value)
    whole, _, fraction = number.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}" + (f".{fraction}" if fraction else "")
    return sign + _UNIT_FORMATS.get(unit, "{}").format(grouped)


def signed_change(value, unit) -> str:
    """+5 percentage points, -20 per 10,000."""
    if value is None:
        return ""
    sign = "+" if value > 0 else ""
    if unit == Unit.PERCENT:
        return f"{sign}{figure(value, Unit.NUMBER)} percentage point{'' if abs(value) == 1 else 's'}"
    return sign + figure(value, unit)
