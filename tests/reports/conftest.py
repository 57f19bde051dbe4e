"""A programme of known money for the spending report, and the same money summed
again here in plain Python, so that every figure of the report can be checked
to the penny against a sum the report did not make.

Two programmes and three rounds; a project with two grants; a grant with no
allocation at all; recipients that are a company, a charity and councils of four
authority types; allocations over three financial years; payments and
recoveries in every quarter, one paid after its allocation's year ended and one
before it began, one recorded weeks after it was paid; spend returns with gaps
(no Q3 for one allocation, no Q2 for another), each submitted a fortnight after
its quarter ended, and allocations with no return.

The rows are written directly (Model.objects.create), so the fixture does what
the money services would: it refreshes each allocation's balance, and it dates
the audit history of the grants, allocations and projects to when they were
set up (1 March 2015), not to the day the test runs.

The independent sums follow the report's rules: payments count in the financial
year (and quarter) of their date, spending in the year (and quarter) its return
covers, allocations and forecasts in the year they are for; "as at" a day,
only what was recorded by the end of it, and no allocation for a later year.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import Role
from grants import money as money_module
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, Payment, Programme, Round, SpendReturn
from projects.models import Project
from reports.forms import SpendingFilterForm
from reports.spending import GROUPINGS, SpendingReport
from tests.factories import UserFactory

D = Decimal

ORGANISATIONS = {
    # key: (name, kind, org-id, authority type, GSS code)
    "leadco": ("Lead Co Limited", "company", "GB-COH-09000001", "", ""),
    "charity": ("Family Charity", "charity", "GB-CHC-1000001", "", ""),
    "northshire": ("Northshire County Council", "local_authority", "GB-LAE-NSH", "CTY", "E99000001"),
    "eastborough": ("London Borough of Eastborough", "local_authority", "GB-LAE-EBO", "LBO", "E99000002"),
    "westham": ("Westham Council", "local_authority", "GB-LAE-WHM", "UA", "E99000003"),
    "midtown": ("Midtown Metropolitan Borough Council", "local_authority", "GB-LAE-MDT", "MD", "E99000004"),
}

PROGRAMMES = {"p1": "Innovation Programme", "p2": "Second Fund"}
ROUNDS = {"p1r1": ("p1", 1), "p1r2": ("p1", 2), "p2r1": ("p2", 1)}
PROJECTS = {
    "A-01": ("p1", "leadco"),
    "A-02": ("p1", "northshire"),
    "B-01": ("p2", "charity"),
    "B-02": ("p2", "westham"),
}

# key: (project, round, awarded)
GRANTS = {
    "g1": ("A-01", "p1r1", D("1000000.00")),
    "g2": ("A-02", "p1r1", D("500000.50")),
    "g3": ("A-01", "p1r2", D("250000.25")),  # the same project's scale-up grant
    "g4": ("B-01", "p2r1", D("750000.75")),
    "g5": ("B-02", "p2r1", D("100000.00")),  # awarded, nothing allocated yet
}

# key: (grant, recipient, financial year, resource, capital)
ALLOCATIONS = {
    "a1": ("g1", "leadco", 2015, D("100000.10"), D("0.00")),
    "a2": ("g1", "northshire", 2015, D("200000.20"), D("50000.00")),
    "a3": ("g1", "eastborough", 2016, D("150000.15"), D("0.00")),
    "a4": ("g1", "leadco", 2016, D("80000.00"), D("0.00")),
    "a5": ("g2", "northshire", 2015, D("120000.12"), D("0.00")),
    "a6": ("g2", "northshire", 2016, D("130000.13"), D("10000.00")),
    "a7": ("g3", "eastborough", 2017, D("90000.09"), D("0.00")),
    "a8": ("g4", "charity", 2016, D("300000.30"), D("0.00")),
    "a9": ("g4", "midtown", 2017, D("200000.02"), D("5000.05")),
    "a10": ("g4", "westham", 2017, D("60000.06"), D("0.00")),
}

# (allocation, kind, amount, paid on)
PAYMENTS = [
    ("a1", "payment", D("40000.01"), dt.date(2015, 5, 10)),
    ("a1", "payment", D("30000.02"), dt.date(2015, 10, 1)),
    ("a1", "recovery", D("1234.56"), dt.date(2016, 2, 29)),
    ("a2", "payment", D("100000.03"), dt.date(2015, 7, 15)),
    ("a2", "payment", D("50000.04"), dt.date(2016, 4, 20)),  # after its year ended
    ("a3", "payment", D("75000.05"), dt.date(2016, 6, 30)),
    ("a3", "payment", D("20000.00"), dt.date(2016, 7, 1)),
    ("a5", "payment", D("60000.06"), dt.date(2015, 9, 30)),
    ("a5", "recovery", D("5000.50"), dt.date(2015, 12, 31)),
    ("a6", "payment", D("70000.07"), dt.date(2016, 3, 31)),  # before its year began
    ("a7", "payment", D("45000.45"), dt.date(2017, 11, 11)),
    ("a8", "payment", D("150000.15"), dt.date(2016, 5, 5)),
    ("a8", "payment", D("100000.10"), dt.date(2017, 1, 15)),
    ("a8", "recovery", D("10000.01"), dt.date(2017, 3, 31)),
    ("a9", "payment", D("100000.00"), dt.date(2017, 8, 8)),
]

# A payment recorded later than it was made: (allocation, paid on) -> recorded on. Others are recorded the day they
# are made.
RECORDED_LATE = {("a8", dt.date(2017, 1, 15)): dt.date(2017, 2, 3)}
SET_UP = dt.date(2015, 3, 1)  # when the grants, allocations and projects were first recorded

# (allocation, quarter, spent, forecast)
RETURNS = [
    ("a1", 1, D("20000.11"), D("70000.00")),
    ("a1", 2, D("25000.22"), D("40000.00")),
    ("a1", 3, D("15000.33"), D("20000.00")),
    ("a2", 1, D("50000.44"), D("180000.00")),
    ("a2", 2, D("60000.55"), D("100000.00")),
    ("a2", 4, D("70000.66"), D("0.00")),
    ("a3", 1, D("30000.77"), D("100000.00")),
    ("a3", 3, D("40000.88"), D("50000.00")),
    ("a5", 1, D("10000.99"), D("90000.00")),
    ("a6", 2, D("20000.10"), D("80000.00")),
    ("a7", 1, D("5000.20"), D("60000.00")),
    ("a8", 1, D("100000.30"), D("150000.00")),
    ("a8", 2, D("50000.40"), D("100000.00")),
    ("a8", 3, D("40000.50"), D("90000.00")),
    ("a8", 4, D("60000.60"), D("0.00")),
    ("a9", 2, D("30000.70"), D("150000.00")),
]


def recorded_on(payment) -> dt.date:
    allocation, _, _, day = payment
    return RECORDED_LATE.get((allocation, day), day)


def submitted_on(spend_return) -> dt.date:
    """A return is submitted a fortnight after its quarter ends."""
    allocation, quarter, _, _ = spend_return
    return quarter_end(ALLOCATIONS[allocation][2], quarter) + dt.timedelta(days=14)


def at_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def backdate_history(model, day: dt.date, **lookups) -> None:
    """Date the audit history of ``model``'s rows (those matching ``lookups``) to ``day``, as if set up then."""
    model.history.filter(**lookups).update(history_date=at_noon(day))


@dataclass(frozen=True)
class Filters:
    """A filter case, in the test's own keys."""

    programme: str | None = None
    round: int | None = None
    project: str | None = None
    organisation: str | None = None
    authority_type: str | None = None
    year: int | None = None
    quarter: int | None = None
    as_at: dt.date | None = None


def financial_quarter(day: dt.date) -> tuple[int, int]:
    """(starting year, quarter) of a date, worked out here from the months."""
    number = {4: 1, 5: 1, 6: 1, 7: 2, 8: 2, 9: 2, 10: 3, 11: 3, 12: 3, 1: 4, 2: 4, 3: 4}[day.month]
    return (day.year if day.month >= 4 else day.year - 1), number


def quarter_end(year: int, number: int) -> dt.date:
    return {1: dt.date(year, 6, 30), 2: dt.date(year, 9, 30), 3: dt.date(year, 12, 31), 4: dt.date(year + 1, 3, 31)}[
        number
    ]


def year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def _allocation_in(key: str, f: Filters, *, any_year: bool = False) -> bool:
    """Whether an allocation's allocated, spent and forecast are in scope (``any_year``: its payments)."""
    grant, recipient, year, _, _ = ALLOCATIONS[key]
    return _grant_in(grant, f) and all(
        (
            f.organisation is None or recipient == f.organisation,
            f.authority_type is None
            or ORGANISATIONS[recipient][3] == ("" if f.authority_type == "none" else f.authority_type),
            any_year or f.year is None or year == f.year,
            any_year or f.as_at is None or year <= financial_quarter(f.as_at)[0],
        )
    )


def _grant_in(key: str, f: Filters) -> bool:
    project, round_key, _ = GRANTS[key]
    programme, number = ROUNDS[round_key]
    return all(
        (
            f.programme is None or programme == f.programme,
            f.round is None or number == f.round,
            f.project is None or project == f.project,
        )
    )


def _zero():
    return {"awarded": D("0.00"), "allocated": D("0.00"), "paid": D("0.00"), "spent": D("0.00"), "forecast": D("0.00")}


def ledger_lines(f: Filters) -> tuple[list, list]:
    """The payments and the spend-return lines in scope: payments to the allocations chosen (of any year) dated
    in the year chosen, up to the end of the quarter chosen; returns for the year's allocations up to the
    quarter; as at a day, what was recorded by its end."""
    start = dt.date(f.year, 4, 1) if f.year else dt.date.min
    end = quarter_end(f.year, f.quarter) if f.quarter else quarter_end(f.year, 4) if f.year else dt.date.max
    payments = [
        p
        for p in PAYMENTS
        if _allocation_in(p[0], f, any_year=True)
        and start <= p[3] <= end
        and (f.as_at is None or (p[3] <= f.as_at and recorded_on(p) <= f.as_at))
    ]
    returns = [
        r
        for r in RETURNS
        if _allocation_in(r[0], f)
        and (f.quarter is None or r[1] <= f.quarter)
        and (f.as_at is None or submitted_on(r) <= f.as_at)
    ]
    return payments, returns


def expected(f: Filters, grouping: str) -> tuple[dict, dict]:
    """(rows by key, totals), each a dict of awarded, allocated, paid, spent and forecast.

    Keys: a project's reference; an organisation's org-id; a year's label such as
    2015-16; (year label, "Q1"); (programme name, "Round 1").
    """
    allocations = [key for key in ALLOCATIONS if _allocation_in(key, f)]
    payments, returns = ledger_lines(f)
    narrows = f.organisation is not None or f.authority_type is not None or f.year is not None
    grants = [
        key
        for key in GRANTS
        if _grant_in(key, f)
        and (
            not narrows
            or any(ALLOCATIONS[a][0] == key for a in allocations)
            or any(ALLOCATIONS[p[0]][0] == key for p in payments)
        )
    ]
    latest = {}
    for allocation, quarter, _, forecast in returns:
        if allocation not in latest or quarter > latest[allocation][0]:
            latest[allocation] = (quarter, forecast)

    def key_of_allocation(allocation):
        grant, recipient, year, _, _ = ALLOCATIONS[allocation]
        return {
            "project": GRANTS[grant][0],
            "round": _round_key(GRANTS[grant][1]),
            "organisation": ORGANISATIONS[recipient][2],
            "financial_year": year_label(year),
        }.get(grouping)

    rows: dict = {}
    totals = _zero()
    for grant in grants:
        totals["awarded"] += GRANTS[grant][2]
        if grouping in ("project", "round"):
            key = GRANTS[grant][0] if grouping == "project" else _round_key(GRANTS[grant][1])
            rows.setdefault(key, _zero())["awarded"] += GRANTS[grant][2]
    for allocation in allocations:
        amount = ALLOCATIONS[allocation][3] + ALLOCATIONS[allocation][4]
        forecast = latest.get(allocation, (0, D("0.00")))[1]
        totals["allocated"] += amount
        totals["forecast"] += forecast
        if grouping != "quarter":
            row = rows.setdefault(key_of_allocation(allocation), _zero())
            row["allocated"] += amount
            row["forecast"] += forecast
    for allocation, kind, amount, day in payments:
        signed = -amount if kind == "recovery" else amount
        totals["paid"] += signed
        year, number = financial_quarter(day)  # a payment counts in the year and quarter of its date
        if grouping == "quarter":
            key = (year_label(year), f"Q{number}")
        elif grouping == "financial_year":
            key = year_label(year)
        else:
            key = key_of_allocation(allocation)
        rows.setdefault(key, _zero())["paid"] += signed
    for allocation, quarter, spent, _ in returns:
        totals["spent"] += spent
        if grouping == "quarter":
            key = (year_label(ALLOCATIONS[allocation][2]), f"Q{quarter}")
        else:
            key = key_of_allocation(allocation)
        rows.setdefault(key, _zero())["spent"] += spent
    return rows, totals


def _round_key(round_key: str) -> tuple[str, str]:
    programme, number = ROUNDS[round_key]
    return PROGRAMMES[programme], f"Round {number}"


@pytest.fixture
def money(db):
    """The programme above in the database, with the people who read the report."""
    dfe = Organisation.objects.create(name="Department for Examples", kind="government_department", org_id="GB-GOR-EX1")
    orgs = {
        key: Organisation.objects.create(name=name, kind=kind, org_id=org_id, authority_type=authority, gss_code=gss)
        for key, (name, kind, org_id, authority, gss) in ORGANISATIONS.items()
    }
    programmes = {
        key: Programme.objects.create(
            name=name,
            code=key,
            funder=dfe,
            budget=D("50000000.00"),
            start_date=dt.date(2015, 4, 1),
            end_date=dt.date(2019, 3, 31),
        )
        for key, name in PROGRAMMES.items()
    }
    rounds = {
        key: Round.objects.create(
            programme=programmes[programme],
            number=number,
            name=f"Round {number}",
            budget=D("10000000.00"),
            start_date=dt.date(2015, 4, 1),
            end_date=dt.date(2019, 3, 31),
        )
        for key, (programme, number) in ROUNDS.items()
    }
    projects = {
        reference: Project.objects.create(
            programme=programmes[programme],
            reference=reference,
            title=f"Project {reference}",
            summary="Known money.",
            lead_organisation=orgs[lead],
            start_date=dt.date(2015, 4, 1),
            end_date=dt.date(2019, 3, 31),
        )
        for reference, (programme, lead) in PROJECTS.items()
    }
    grants = {
        key: Grant.objects.create(
            project=projects[project],
            round=rounds[round_key],
            recipient=projects[project].lead_organisation,
            title=f"Grant {key}",
            amount_awarded=awarded,
            award_date=dt.date(2015, 4, 1),
            planned_start=dt.date(2015, 4, 1),
            planned_end=dt.date(2019, 3, 31),
        )
        for key, (project, round_key, awarded) in GRANTS.items()
    }
    allocations = {
        key: Allocation.objects.create(
            grant=grants[grant],
            recipient=orgs[recipient],
            financial_year=FinancialYear(year),
            resource=resource,
            capital=capital,
        )
        for key, (grant, recipient, year, resource, capital) in ALLOCATIONS.items()
    }
    for payment in PAYMENTS:
        allocation, kind, amount, day = payment
        Payment.objects.create(
            allocation=allocations[allocation],
            kind=kind,
            amount=amount,
            paid_on=day,
            recovery_reason="overpayment" if kind == "recovery" else "",
            recorded_at=at_noon(recorded_on(payment)),
        )
    for spend_return in RETURNS:
        allocation, quarter, spent, forecast = spend_return
        SpendReturn.objects.create(
            allocation=allocations[allocation],
            quarter=quarter,
            spent=spent,
            forecast=forecast,
            submitted_at=at_noon(submitted_on(spend_return)),
        )
    for allocation in allocations.values():
        money_module.refresh_balance(allocation.pk)
    for model in (Grant, Allocation, Project):
        backdate_history(model, SET_UP)
    users = SimpleNamespace(
        officer=UserFactory(role=Role.OFFICER, username="report-officer"),
        finance=UserFactory(role=Role.FINANCE, username="report-finance"),
        viewer=UserFactory(role=Role.VIEWER, username="report-viewer"),
        admin=UserFactory(role=Role.ADMIN, username="report-admin"),
        recipient=UserFactory(role=Role.RECIPIENT, organisation=orgs["northshire"], username="report-council"),
        evaluator=UserFactory(role=Role.EVALUATOR, username="report-evaluator"),
    )
    return SimpleNamespace(
        orgs=orgs,
        programmes=programmes,
        rounds=rounds,
        projects=projects,
        grants=grants,
        allocations=allocations,
        users=users,
    )


def params_for(f: Filters, money) -> dict:
    """The filter case as the page's GET parameters."""
    params = {}
    if f.programme:
        params["programme"] = str(money.programmes[f.programme].pk)
    if f.round:
        params["round"] = str(f.round)
    if f.project:
        params["project"] = f.project
    if f.organisation:
        params["organisation"] = ORGANISATIONS[f.organisation][2]
    if f.authority_type:
        params["authority_type"] = f.authority_type
    if f.year:
        params["financial_year"] = year_label(f.year)
    if f.quarter:
        params["quarter"] = str(f.quarter)
    if f.as_at:
        params["as_at"] = f"{f.as_at:%d/%m/%Y}"
    return params


def report_for(money, f: Filters, grouping: str = "project") -> SpendingReport:
    """The report as the page builds it: through the filter form, from GET parameters."""
    data = QueryDict(urlencode({**params_for(f, money), "group": grouping}))
    form = SpendingFilterForm(data, user=money.users.officer)
    assert form.is_valid(), form.errors
    return SpendingReport(money.users.officer, form.filters(), form.cleaned_data["group"])


def row_key(grouping: str, row):
    return {
        "project": lambda: row.labels[0],
        "organisation": lambda: row.labels[1],
        "financial_year": lambda: row.labels[0],
        "quarter": lambda: tuple(row.labels),
        "round": lambda: tuple(row.labels),
    }[grouping]()


def figures(row, grouping=None) -> dict:
    """The report's row in the shape of the expected one; what does not apply is left out."""
    result = {"paid": row.paid, "spent": row.spent}
    if grouping is None or not GROUPINGS[grouping].per_quarter:
        result |= {"allocated": row.allocated, "forecast": row.forecast}
    if grouping is None or GROUPINGS[grouping].has_awarded:
        result["awarded"] = row.awarded
    return result


def shaped(sums: dict, grouping=None) -> dict:
    keep = figures_keys(grouping)
    return {name: value for name, value in sums.items() if name in keep}


def figures_keys(grouping):
    keys = {"paid", "spent"}
    if grouping is None or not GROUPINGS[grouping].per_quarter:
        keys |= {"allocated", "forecast"}
    if grouping is None or GROUPINGS[grouping].has_awarded:
        keys.add("awarded")
    return keys


def check_every_grouping(money, case: Filters) -> None:
    """Every grouping's rows and the totals of the report for ``case`` are the independent sums, to the penny."""
    for grouping in GROUPINGS:
        report = report_for(money, case, grouping)
        rows, totals = expected(case, grouping)
        got = {row_key(grouping, row): figures(row, grouping) for row in report.rows()}
        assert got == {key: shaped(sums, grouping) for key, sums in rows.items()}, grouping
        assert figures(report.totals) == totals
        for row in report.rows():
            for value in figures(row, grouping).values():
                assert value.as_tuple().exponent == -2  # to the penny, on SQLite too
