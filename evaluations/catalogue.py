"""The outcome measures every fund of this kind starts with (DESIGN.md): the
indicators children's social care reports nationally, with their unit and
which way is better. Officers add and change measures on the catalogue pages;
loading again adds what is missing and never overwrites their changes."""

from django.db import transaction

from evaluations.models import OutcomeArea, OutcomeMeasure

Unit = OutcomeMeasure.Unit
LOWER = OutcomeMeasure.Direction.LOWER_IS_BETTER
HIGHER = OutcomeMeasure.Direction.HIGHER_IS_BETTER

SAFETY = "Safety and stability"
PRACTICE = "Social work practice"
VALUE = "Value for money"

OUTCOME_AREAS = {
    SAFETY: "Fewer children need protection plans or care, and fewer come back to services.",
    PRACTICE: "Social workers have manageable caseloads and more time with families.",
    VALUE: "What the service costs for each child it helps.",
}

CP_PLANS = "Children on child protection plans per 10,000"
LOOKED_AFTER = "Children looked after per 10,000"
RE_REFERRALS = "Re-referrals within 12 months"
CASELOAD = "Average caseload"
DIRECT_WORK = "% of social work time in direct work with families"
COST_PER_CHILD = "Cost per child"

# (name, outcome area, unit, direction, description)
MEASURES = [
    (
        CP_PLANS,
        SAFETY,
        Unit.PER_10000,
        LOWER,
        "Children who are the subject of a child protection plan at a point in time, per 10,000 children under 18.",
    ),
    (
        LOOKED_AFTER,
        SAFETY,
        Unit.PER_10000,
        LOWER,
        "Children looked after by the local authority at a point in time, per 10,000 children under 18.",
    ),
    (
        RE_REFERRALS,
        SAFETY,
        Unit.PERCENT,
        LOWER,
        "Referrals to children's social care within 12 months of an earlier referral, as a percentage of all referrals.",
    ),
    (
        CASELOAD,
        PRACTICE,
        Unit.NUMBER,
        LOWER,
        "Children's cases held by each children and family social worker, on average.",
    ),
    (
        DIRECT_WORK,
        PRACTICE,
        Unit.PERCENT,
        HIGHER,
        "Share of social workers' working time spent face to face with children and families.",
    ),
    (COST_PER_CHILD, VALUE, Unit.GBP, LOWER, "What the service costs for each child it works with, in pounds."),
]


def load_measures() -> tuple[int, int]:
    """Add the outcome areas and measures that are missing. Returns (added, already there)."""
    added = kept = 0
    with transaction.atomic():
        areas = {}
        for name, description in OUTCOME_AREAS.items():
            areas[name], _ = OutcomeArea.objects.get_or_create(name=name, defaults={"description": description})
        for name, area, unit, direction, description in MEASURES:
            _, created = OutcomeMeasure.objects.get_or_create(
                name=name,
                defaults={
                    "outcome_area": areas[area],
                    "unit": unit,
                    "direction": direction,
                    "description": description,
                },
            )
            added += created
            kept += not created
    return added, kept
