"""What each kind of import reads, how it matches rows to what is recorded, and
which service writes each row.

An importer turns the rows of a file into a plan: for every row, the record it
creates or changes and the values before and after. The services in
``grants.services`` (and ``evaluations.services``) write each planned change,
so every rule they keep holds for an import as for a form.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from evaluations.models import Evaluation, OutcomeMeasure, OutcomeResult, plain
from evaluations.services import save_result
from grants import services as money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, Organisation, SpendReturn
from imports.models import ImportBatch
from imports.spreadsheet import Column, Layout, Problem, Row, build_template, convert, problem_at
from projects.models import ProjectPartner

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


def pounds(amount) -> str:
    return "" if amount is None else f"£{Decimal(amount):,.2f}"


@dataclass
class Change:
    """One row of the file and what it does: create a record, change one, or nothing."""

    row: int
    label: str
    action: str
    # (what, before, after) for every value the row sets, shown as people read them.
    fields: list[tuple[str, str, str]]
    current: object = None
    data: dict = field(default_factory=dict)

    @property
    def differences(self):
        return [item for item in self.fields if item[1] != item[2]]


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0


class Importer:
    kind: str
    layout: Layout
    noun: str  # what one row is, for messages: "allocation"
    heading: str
    # Columns that carry the figures: a row with all of them blank is left out.
    value_keys: tuple[str, ...] = ()
    # Which column a service's refusal belongs to, by the field it names.
    field_columns: dict[str, str] = {}
    default_column: str = ""
    # What a batch of this import is for, kept on the batch.
    grant = None
    evaluation = None

    def __init__(self, user):
        self.user = user

    def plan(self, rows: list[Row]) -> Plan:
        raise NotImplementedError

    def write(self, change: Change) -> None:
        raise NotImplementedError

    def ordered(self, changes: list[Change]) -> list[Change]:
        return changes

    def workbook(self):
        raise NotImplementedError

    def blank(self, row: Row) -> bool:
        return all(row.values.get(key) is None for key in self.value_keys)

    def refusal(self, change: Change, error: Exception) -> list[Problem]:
        """A service's refusal, as problems on the row's cells."""
        if isinstance(error, PermissionDenied):
            return [problem_at(self.layout, change.row, self.default_column, str(error) or "You cannot change this")]
        if hasattr(error, "error_dict"):
            return [
                problem_at(self.layout, change.row, self.field_columns.get(name, self.default_column), message)
                for name, errors in error.error_dict.items()
                for message in ValidationError(errors).messages
            ]
        return [problem_at(self.layout, change.row, self.default_column, message) for message in error.messages]


def _organisation_index(organisations) -> dict[str, list]:
    index: dict[str, list] = {}
    for organisation in organisations:
        for name in {organisation.name, organisation.org_id}:
            index.setdefault(name, []).append(organisation)
    return index


def _unknown_organisation(name: str) -> str | None:
    if Organisation.objects.filter(Q(name=name) | Q(org_id=name)).exists():
        return None
    return f"“{name}” is not an organisation this service knows: choose one from the list"


# Allocations of a grant

ALLOCATIONS = Layout(
    "Allocations",
    (
        Column("organisation", "Organisation", list_name="Organisations", width=42,
               hint="the lead organisation or a partner of the project, chosen from the list."),
        Column("financial_year", "Financial year", kind="year", list_name="Financial years", width=16,
               hint="the financial year, 1 April to 31 March, chosen from the list (for example 2016-17)."),
        Column("resource", "Resource (£)", kind="money", required=False, width=18,
               hint="revenue money in pounds and pence, as a number; blank means £0."),
        Column("capital", "Capital (£)", kind="money", required=False, width=18,
               hint="capital money in pounds and pence, as a number; blank means £0."),
        Column("purpose", "Purpose", required=False, max_length=300, width=60,
               hint="what the money is for, up to 300 characters."),
    ),
)


class AllocationImport(Importer):
    kind = ImportBatch.Kind.ALLOCATIONS
    layout = ALLOCATIONS
    noun = "allocation"
    heading = "Import allocations from a spreadsheet"
    value_keys = ("resource", "capital", "purpose")
    field_columns = {"recipient": "organisation", "financial_year": "financial_year", "resource": "resource",
                     "capital": "capital", "purpose": "purpose"}
    default_column = "resource"

    def __init__(self, user, grant: Grant):
        if not user.is_officer:
            raise PermissionDenied("Only a programme officer can import allocations")
        super().__init__(user)
        self.grant = grant
        self.project = grant.project

    @property
    def title(self) -> str:
        return f"Allocations of {self.grant.title}"

    @property
    def filename(self) -> str:
        return f"allocations-grant-{self.grant.pk}.xlsx"

    def organisations(self) -> list[Organisation]:
        """The grant's lead and its project's partners: the only organisations that can have its money."""
        ids = {self.project.lead_organisation_id, *self.project.partnerships.values_list("organisation", flat=True)}
        return list(Organisation.objects.filter(pk__in=ids).order_by("name"))

    def years(self, allocations) -> list[FinancialYear]:
        first = FinancialYear.of(self.grant.planned_start)
        last = FinancialYear.of(self.grant.planned_end)
        years = {first + n for n in range(last.start_year - first.start_year + 1)}
        return sorted(years | {allocation.financial_year for allocation in allocations})

    def workbook(self):
        allocations = list(self.grant.allocations.select_related("recipient").order_by("financial_year", "recipient__name"))
        rows = [
            [a.recipient.name, str(a.financial_year), a.resource, a.capital, a.purpose or None] for a in allocations
        ]
        instructions = [
            f"Grant: {self.grant.title} ({self.grant.threesixtygiving_id}), awarded {pounds(self.grant.amount_awarded)}.",
            "Use this workbook to add or change the grant's allocations: how much of the grant each organisation "
            "gets in each financial year, split into resource (revenue) and capital.",
            "The sheet “Allocations” already lists the grant's allocations. Change the figures you need to, "
            "and add a row for each new allocation. Leave rows you do not change as they are.",
            "Each organisation has at most one row for each financial year. Removing a row does not delete "
            "the allocation: nothing is deleted by an import.",
            "Type amounts as numbers in pounds and pence, such as 125000 or 1250.50: no £ sign, no commas, "
            "no more than 2 decimal places, never negative. Do not use formulas.",
            "All the grant's allocations together cannot come to more than the amount awarded, and an "
            "allocation cannot be reduced below what has already been paid against it.",
            "Do not rename, add or remove sheets or columns, and do not merge cells.",
            "When you upload the file you will see what will change before anything is saved. Either every "
            "row is saved, or, if any row has a problem, none is.",
        ]
        return build_template(
            self.layout,
            title=self.title,
            instructions=instructions,
            rows=rows,
            lists={
                "Organisations": [organisation.name for organisation in self.organisations()],
                "Financial years": [str(year) for year in self.years(allocations)],
            },
        )

    def plan(self, rows: list[Row]) -> Plan:
        plan = Plan()
        allowed = _organisation_index(self.organisations())
        current = {
            (a.recipient_id, a.financial_year): a
            for a in self.grant.allocations.select_related("recipient")
        }
        seen: dict[tuple, int] = {}
        for row in rows:
            if self.blank(row):
                plan.skipped += 1
                continue
            values = convert(self.layout, row, plan.problems)
            if "organisation" not in values:
                continue
            name = values["organisation"]
            matches = allowed.get(name, [])
            if len(matches) != 1:
                message = (
                    _unknown_organisation(name)
                    or f"{name} does not take part in the project {self.project.title}: only its lead "
                       "organisation and partners can have an allocation"
                )
                if len(matches) > 1:
                    message = f"More than one organisation is called “{name}”: give its org-id instead"
                plan.problems.append(problem_at(self.layout, row.number, "organisation", message))
                continue
            if len(values) < len(self.layout.columns):
                continue
            organisation, year = matches[0], values["financial_year"]
            key = (organisation.pk, year)
            if key in seen:
                plan.problems.append(problem_at(
                    self.layout, row.number, "organisation",
                    f"{organisation.name} already has a row for {year} (row {seen[key]}): "
                    "give each organisation one row a year",
                ))
                continue
            seen[key] = row.number
            resource = values["resource"] or Decimal("0.00")
            capital = values["capital"] or Decimal("0.00")
            purpose = values["purpose"]
            existing = current.get(key)
            before = (
                (pounds(existing.resource), pounds(existing.capital), existing.purpose)
                if existing else ("", "", "")
            )
            after = (pounds(resource), pounds(capital), purpose)
            fields = list(zip(("Resource", "Capital", "Purpose"), before, after, strict=True))
            if existing is None:
                action = NEW
            else:
                action = CHANGED if before != after else UNCHANGED
            plan.changes.append(Change(
                row=row.number, label=f"{organisation.name}, {year}", action=action, fields=fields,
                current=existing,
                data={"recipient": organisation, "financial_year": year, "resource": resource,
                      "capital": capital, "purpose": purpose},
            ))
        return plan

    def ordered(self, changes):
        # Reductions first: the award is checked after every row, so a file that
        # moves money from one allocation to another must free it before using it.
        def key(change):
            shrinks = change.current is not None and (
                change.data["resource"] + change.data["capital"] < change.current.resource + change.current.capital
            )
            return 0 if shrinks else 1

        return sorted(changes, key=key)

    def write(self, change: Change) -> None:
        existing = change.current
        saved = money.save_allocation(
            grant=self.grant,
            allocation=existing,
            illustrative=existing.illustrative if existing else False,
            by=self.user,
            # A changed amount is a variation; the spreadsheet is the officer's re-profile of the grant.
            reason=f"Re-profiled in the allocations spreadsheet for {self.grant.title}" if existing else "",
            **change.data,
        )
        if saved.pending_variation is not None:
            # A file cannot wait half-written for a second officer: large changes are made one by one.
            raise money.MoneyRuleError(
                f"This changes the allocation by more than £{settings.VARIATION_APPROVAL_THRESHOLD:,}, so a second "
                "programme officer must approve it: ask for it as a variation on the allocation's page instead"
            )


# Quarterly spend returns

SPEND_RETURNS = Layout(
    "Spend returns",
    (
        Column("grant", "Grant", list_name="Grants", width=22,
               hint="the grant's identifier, chosen from the list; the grants are listed below."),
        Column("organisation", "Organisation", list_name="Organisations", width=42,
               hint="the organisation that received the allocation, chosen from the list."),
        Column("financial_year", "Financial year", kind="year", list_name="Financial years", width=16,
               hint="the allocation's financial year, chosen from the list (for example 2016-17)."),
        Column("quarter", "Quarter", kind="quarter", list_name="Quarters", width=10,
               hint="Q1 is April to June, Q2 July to September, Q3 October to December, Q4 January to March."),
        Column("spent", "Spent in the quarter (£)", kind="money", width=24,
               hint="money actually spent in the quarter, in pounds and pence, as a number."),
        Column("forecast", "Forecast for the rest of the year (£)", kind="money", width=34,
               hint="money you expect to spend in the rest of the financial year after this quarter."),
        Column("comment", "Comment", required=False, max_length=2000, width=60,
               hint="anything the programme officer should know, such as the reason for an underspend."),
    ),
)


class SpendReturnImport(Importer):
    kind = ImportBatch.Kind.SPEND_RETURNS
    layout = SPEND_RETURNS
    noun = "spend return"
    heading = "Send quarterly spend returns in a spreadsheet"
    value_keys = ("spent", "forecast", "comment")
    field_columns = {"quarter": "quarter", "spent": "spent", "forecast": "forecast", "comment": "comment"}
    default_column = "spent"

    def __init__(self, user, grant: Grant | None = None):
        if not (user.is_officer or user.is_recipient):
            raise PermissionDenied("Only a programme officer or a grant recipient can import spend returns")
        super().__init__(user)
        # A grant only narrows the template; an upload may hold rows of any grant in the user's scope.
        self.for_grant = grant

    title = "Quarterly spend returns"

    @property
    def filename(self) -> str:
        suffix = f"-grant-{self.for_grant.pk}" if self.for_grant else ""
        return f"spend-returns{suffix}.xlsx"

    def scope(self):
        """The allocations whose returns this user may send: any for an officer, their own organisation's
        for a recipient (a lead sees its partners' allocations but each accounts for its own spending)."""
        if self.user.is_officer:
            return Allocation.objects.all()
        return Allocation.objects.editable_by_recipient(self.user)

    @staticmethod
    def grant_id(grant_pk) -> str:
        return f"360G-{settings.THREESIXTYGIVING_PREFIX}-{grant_pk}"

    def workbook(self):
        allocations = self.scope().select_related("grant__project", "recipient").order_by(
            "grant__project__reference", "grant", "financial_year", "recipient__name"
        )
        if self.for_grant is not None:
            allocations = allocations.filter(grant=self.for_grant)
        allocations = list(allocations)
        returns = {
            (r.allocation_id, r.quarter): r
            for r in SpendReturn.objects.filter(allocation__in=[a.pk for a in allocations])
        }
        today = timezone.localdate()
        rows = []
        for allocation in allocations:
            for quarter in allocation.financial_year.quarters:
                if quarter.start > today:
                    continue
                existing = returns.get((allocation.pk, quarter.number))
                rows.append([
                    self.grant_id(allocation.grant_id), allocation.recipient.name, str(allocation.financial_year),
                    f"Q{quarter.number}",
                    existing.spent if existing else None,
                    existing.forecast if existing else None,
                    (existing.comment or None) if existing else None,
                ])
        grants = list(dict.fromkeys(allocation.grant for allocation in allocations))
        who = (
            "every allocation in the programme" if self.user.is_officer
            else f"the allocations of {self.user.organisation.name}"
        )
        instructions = [
            f"Use this workbook to send quarterly spend returns for {who}.",
            "The sheet “Spend returns” has a row for each allocation and each quarter that has begun. For each "
            "quarter, give the money actually spent in that quarter and the money you expect to spend in the rest "
            "of the financial year. Rows you leave without figures are left out.",
            "Figures already sent are filled in. Change them only to correct a return that the programme officer "
            "has not yet reviewed; a reviewed return cannot be changed.",
            "Type amounts as numbers in pounds and pence, such as 12500 or 1250.50: no £ sign, no commas, "
            "no more than 2 decimal places, never negative. Do not use formulas.",
            "Each allocation has one return a quarter, so each grant, organisation, year and quarter appears once.",
            "Do not rename, add or remove sheets or columns, and do not merge cells.",
            "When you upload the file you will see what will change before anything is saved. Either every row is "
            "saved, or, if any row has a problem, none is.",
        ]
        reference = [("Grant", "Title", "Project")] + [
            (self.grant_id(grant.pk), grant.title, f"{grant.project.reference} {grant.project.title}")
            for grant in grants
        ]
        years = sorted({allocation.financial_year for allocation in allocations})
        return build_template(
            self.layout,
            title=self.title,
            instructions=instructions,
            rows=rows,
            lists={
                "Grants": [self.grant_id(grant.pk) for grant in grants],
                "Organisations": sorted({allocation.recipient.name for allocation in allocations}),
                "Financial years": [str(year) for year in years],
                "Quarters": ["Q1", "Q2", "Q3", "Q4"],
            },
            reference=reference,
        )

    def plan(self, rows: list[Row]) -> Plan:
        plan = Plan()
        converted = []
        for row in rows:
            if self.blank(row):
                plan.skipped += 1
                continue
            values = convert(self.layout, row, plan.problems)
            if "grant" in values and "organisation" in values:
                converted.append((row, values))
        prefix = f"360G-{settings.THREESIXTYGIVING_PREFIX}-"
        grant_pks = set()
        for _, values in converted:
            suffix = values["grant"].removeprefix(prefix)
            if values["grant"].startswith(prefix) and suffix.isdigit() and len(suffix) < 18:
                grant_pks.add(int(suffix))
        # Everything the rows can refer to, in a few queries whatever the number of rows.
        allocations = {
            (a.grant_id, a.recipient_id, a.financial_year): a
            for a in self.scope().filter(grant_id__in=grant_pks).select_related("recipient")
        }
        grants_in_scope = {grant_pk for grant_pk, _, _ in allocations}
        if self.user.is_officer:
            grants_in_scope |= set(Grant.objects.filter(pk__in=grant_pks).values_list("pk", flat=True))
        names = {values["organisation"] for _, values in converted}
        known = _organisation_index(Organisation.objects.filter(Q(name__in=names) | Q(org_id__in=names)))
        returns = {
            (r.allocation_id, r.quarter): r
            for r in SpendReturn.objects.filter(allocation__in=[a.pk for a in allocations.values()])
        }
        own = self.user.organisation if self.user.is_recipient else None
        seen: dict[tuple, int] = {}
        for row, values in converted:
            grant_label = values["grant"]
            suffix = grant_label.removeprefix(prefix)
            grant_pk = int(suffix) if grant_label.startswith(prefix) and suffix.isdigit() and len(suffix) < 18 else None
            if grant_pk not in grants_in_scope:
                plan.problems.append(problem_at(
                    self.layout, row.number, "grant",
                    f"“{grant_label}” is not a grant you can send spend returns for: choose one from the list",
                ))
                continue
            name, year = values["organisation"], values.get("financial_year")
            candidates = known.get(name, [])
            if not candidates:
                plan.problems.append(problem_at(
                    self.layout, row.number, "organisation",
                    f"“{name}” is not an organisation this service knows: choose one from the list",
                ))
                continue
            if own is not None and all(candidate.pk != own.pk for candidate in candidates):
                plan.problems.append(problem_at(
                    self.layout, row.number, "organisation",
                    f"You can send spend returns only for {own.name}'s own allocations; this row is for {name}",
                ))
                continue
            if own is not None:
                candidates = [own]
            if len(values) < len(self.layout.columns):
                continue  # a cell is wrong and already listed; the row goes no further
            allocation = next(
                (allocations[key] for c in candidates if (key := (grant_pk, c.pk, year)) in allocations), None
            )
            if allocation is None:
                plan.problems.append(problem_at(
                    self.layout, row.number, "financial_year",
                    f"{name} has no allocation from {grant_label} for {year}",
                ))
                continue
            quarter = values["quarter"]
            key = (allocation.pk, quarter)
            if key in seen:
                plan.problems.append(problem_at(
                    self.layout, row.number, "quarter",
                    f"Row {seen[key]} is already the return for {name}, {grant_label}, {year} Q{quarter}: "
                    "give each quarter one row",
                ))
                continue
            seen[key] = row.number
            existing = returns.get(key)
            before = (pounds(existing.spent), pounds(existing.forecast), existing.comment) if existing else ("", "", "")
            after = (pounds(values["spent"]), pounds(values["forecast"]), values["comment"])
            fields = list(zip(("Spent", "Forecast", "Comment"), before, after, strict=True))
            if existing is None:
                action = NEW
            else:
                action = CHANGED if before != after else UNCHANGED
            plan.changes.append(Change(
                row=row.number,
                label=f"{allocation.recipient.name}, {grant_label}, {year} Q{quarter}",
                action=action, fields=fields, current=existing,
                data={"allocation": allocation, "quarter": quarter, "spent": values["spent"],
                      "forecast": values["forecast"], "comment": values["comment"]},
            ))
        return plan

    def write(self, change: Change) -> None:
        data = change.data
        if change.current is None:
            money.submit_spend_return(
                allocation=data["allocation"], by=self.user, quarter=data["quarter"],
                spent=data["spent"], forecast=data["forecast"], comment=data["comment"],
            )
        else:
            money.amend_spend_return(
                spend_return=change.current, by=self.user,
                spent=data["spent"], forecast=data["forecast"], comment=data["comment"],
            )


# Outcome results of an evaluation

SIGNIFICANCE_LABELS = {
    "Statistically significant": "significant",
    "Not statistically significant": "not_significant",
    "Not tested": "not_tested",
}

RESULTS = Layout(
    "Results",
    (
        Column("measure", "Outcome measure", list_name="Measures", width=44,
               hint="the measure from the programme's catalogue, chosen from the list."),
        Column("authority", "Local authority", required=False, list_name="Authorities", width=34,
               hint="only if the figures are for one authority; blank for the whole evaluation."),
        Column("unit", "Unit", required=False, list_name="Units", width=20,
               hint="the unit the figures are in; it must be the measure's. Blank means the measure's unit."),
        Column("baseline_value", "Baseline value", kind="number", width=16,
               hint="the value before the project, as a number (0 or more)."),
        Column("baseline_period_start", "Baseline period start", kind="date", width=20,
               hint="a date Excel recognises, such as 01/04/2014."),
        Column("baseline_period_end", "Baseline period end", kind="date", width=20,
               hint="a date, on or after the start."),
        Column("target_value", "Target", kind="number", required=False, width=12, hint="optional, 0 or more."),
        Column("followup_value", "Follow-up value", kind="number", required=False, width=16,
               hint="optional, 0 or more; it needs the follow-up period."),
        Column("followup_period_start", "Follow-up period start", kind="date", required=False, width=22,
               hint="optional; after the baseline period ends."),
        Column("followup_period_end", "Follow-up period end", kind="date", required=False, width=22,
               hint="optional; on or after the follow-up start."),
        Column("comparison_value", "Comparison group value", kind="number", required=False, width=22,
               hint="optional: the comparison group's value at follow-up."),
        Column("effect_size", "Effect size", kind="number", required=False, width=14, hint="optional."),
        Column("ci_lower", "Confidence interval lower", kind="number", required=False, width=24,
               hint="optional: the lower bound of the 95% confidence interval."),
        Column("ci_upper", "Confidence interval upper", kind="number", required=False, width=24,
               hint="optional: the upper bound; the interval must contain the effect size."),
        Column("p_value", "p-value", kind="number", required=False, places=5, width=10,
               hint="optional, between 0 and 1, up to 5 decimal places."),
        Column("significance", "Significance", required=False, list_name="Significance", width=28,
               hint="chosen from the list; blank means not tested."),
        Column("source_report", "Source report", required=False, list_name="Reports", width=40,
               hint="optional: the title of one of this evaluation's reports."),
        Column("source_location", "Where in the report", required=False, max_length=200, width=24,
               hint="optional, for example table 4.2."),
    ),
)

RESULT_FIGURES = (
    "baseline_value", "baseline_period_start", "baseline_period_end", "target_value", "followup_value",
    "followup_period_start", "followup_period_end", "comparison_value", "effect_size", "ci_lower", "ci_upper",
    "p_value",
)


class ResultImport(Importer):
    kind = ImportBatch.Kind.RESULTS
    layout = RESULTS
    noun = "result"
    heading = "Import outcome results from a spreadsheet"
    value_keys = RESULT_FIGURES + ("significance", "source_report", "source_location")
    default_column = "baseline_value"

    def __init__(self, user, evaluation: Evaluation):
        if not Evaluation.objects.editable_by(user).filter(pk=evaluation.pk).exists():
            raise PermissionDenied("Only a programme officer or an evaluator assigned to this evaluation can import its results")
        super().__init__(user)
        self.evaluation = evaluation
        self.field_columns = {column.key: column.key for column in RESULTS.columns}

    @property
    def title(self) -> str:
        return f"Results of {self.evaluation.title}"

    @property
    def filename(self) -> str:
        return f"results-evaluation-{self.evaluation.pk}.xlsx"

    def authorities(self):
        """The local authorities of the evaluation's projects, and any its results already name."""
        projects = self.evaluation.projects.all()
        ids = set(ProjectPartner.objects.filter(project__in=projects).values_list("organisation", flat=True))
        ids |= set(projects.values_list("lead_organisation", flat=True))
        ids |= set(self.evaluation.results.exclude(authority=None).values_list("authority", flat=True))
        return Organisation.objects.filter(pk__in=ids, kind=Organisation.Kind.LOCAL_AUTHORITY).order_by("name")

    def workbook(self):
        results = self.evaluation.results.select_related("measure", "authority", "source_report").order_by(
            "measure__name", "authority__name"
        )
        significance = {code: label for label, code in SIGNIFICANCE_LABELS.items()}
        rows = [
            [
                r.measure.name, r.authority.name if r.authority else None, r.measure.get_unit_display(),
                *[getattr(r, name) for name in RESULT_FIGURES],
                significance[r.significance], r.source_report.title if r.source_report else None,
                r.source_location or None,
            ]
            for r in results
        ]
        instructions = [
            f"Evaluation: {self.evaluation.title}.",
            "Use this workbook to add or change the evaluation's outcome results: one row for each measure, "
            "or for each measure and local authority when figures are given authority by authority.",
            "The sheet “Results” already lists the evaluation's results. Change the figures you need to and add "
            "a row for each new result. Removing a row does not delete a result: nothing is deleted by an import.",
            "Type numbers as numbers (not text), and dates as dates that Excel recognises, such as 31/03/2017. "
            "Do not use formulas. A percentage is a number from 0 to 100.",
            "Do not rename, add or remove sheets or columns, and do not merge cells.",
            "When you upload the file you will see what will change before anything is saved. Either every row is "
            "saved, or, if any row has a problem, none is.",
        ]
        return build_template(
            self.layout,
            title=self.title,
            instructions=instructions,
            rows=rows,
            lists={
                "Measures": list(OutcomeMeasure.objects.order_by("name").values_list("name", flat=True)),
                "Authorities": [authority.name for authority in self.authorities()],
                "Units": [label for _, label in OutcomeMeasure.Unit.choices],
                "Significance": list(SIGNIFICANCE_LABELS),
                "Reports": list(self.evaluation.reports.order_by("title").values_list("title", flat=True)),
            },
        )

    def plan(self, rows: list[Row]) -> Plan:
        plan = Plan()
        measures = {m.name: m for m in OutcomeMeasure.objects.all()}
        units = {label.casefold(): code for code, label in OutcomeMeasure.Unit.choices}
        units |= {code: code for code in OutcomeMeasure.Unit.values}
        reports = {}
        for report in self.evaluation.reports.all():
            reports.setdefault(report.title, []).append(report)
        current = {
            (r.measure_id, r.authority_id): r
            for r in self.evaluation.results.select_related("measure", "authority", "source_report")
        }
        significance_labels = dict(OutcomeResult.Significance.choices)
        organisations: dict[str, list] = {}
        seen: dict[tuple, int] = {}
        for row in rows:
            if self.blank(row):
                plan.skipped += 1
                continue
            values = convert(self.layout, row, plan.problems)
            problems_before = len(plan.problems)
            measure = measures.get(values.get("measure"))
            if "measure" in values and measure is None:
                plan.problems.append(problem_at(
                    self.layout, row.number, "measure",
                    f"“{values['measure']}” is not a measure in the catalogue: choose one from the list",
                ))
            authority = None
            if values.get("authority"):
                name = values["authority"]
                if name not in organisations:
                    organisations[name] = list(Organisation.objects.filter(Q(name=name) | Q(org_id=name)))
                found = organisations[name]
                if not found:
                    message = f"“{name}” is not an organisation this service knows: choose one from the list"
                elif len(found) > 1:
                    message = f"More than one organisation is called “{name}”: give its org-id instead"
                elif found[0].kind != Organisation.Kind.LOCAL_AUTHORITY:
                    message = f"{name} is not a local authority: leave the column blank for the whole evaluation"
                else:
                    authority, message = found[0], ""
                if message:
                    plan.problems.append(problem_at(self.layout, row.number, "authority", message))
            unit = None
            if values.get("unit"):
                unit = units.get(values["unit"].casefold())
                if unit is None:
                    plan.problems.append(problem_at(
                        self.layout, row.number, "unit", f"“{values['unit']}” is not a unit: choose one from the list"))
            significance = "not_tested"
            if values.get("significance"):
                significance = SIGNIFICANCE_LABELS.get(values["significance"])
                if significance is None:
                    plan.problems.append(problem_at(
                        self.layout, row.number, "significance",
                        f"“{values['significance']}” is not a choice: choose one from the list"))
            source = None
            if values.get("source_report"):
                found = reports.get(values["source_report"], [])
                if len(found) != 1:
                    plan.problems.append(problem_at(
                        self.layout, row.number, "source_report",
                        f"“{values['source_report']}” is not {'one' if not found else 'exactly one'} of this "
                        "evaluation's reports: choose one from the list"))
                else:
                    source = found[0]
            if len(plan.problems) > problems_before or len(values) < len(self.layout.columns) or measure is None:
                continue
            key = (measure.pk, authority.pk if authority else None)
            if key in seen:
                plan.problems.append(problem_at(
                    self.layout, row.number, "measure",
                    f"Row {seen[key]} is already the result for {measure.name}"
                    f"{' in ' + authority.name if authority else ''}: give each measure and authority one row",
                ))
                continue
            seen[key] = row.number
            existing = current.get(key)
            data = {name: values[name] for name in RESULT_FIGURES}
            data |= {"significance": significance, "source_report": source,
                     "source_location": values["source_location"]}

            def shown(name, value):
                if value is None:
                    return ""
                if name == "source_report":
                    return value.title
                if name == "significance":
                    return significance_labels.get(value, value)
                if isinstance(value, Decimal):
                    return plain(value)
                if hasattr(value, "strftime"):
                    return value.strftime("%d/%m/%Y")
                return str(value)

            fields = [
                (RESULTS.column(name).title,
                 shown(name, getattr(existing, name)) if existing else "",
                 shown(name, value))
                for name, value in data.items()
            ]
            if existing is None:
                action = NEW
            else:
                action = CHANGED if any(before != after for _, before, after in fields) else UNCHANGED
                if unit is not None and unit != (existing.unit or existing.measure.unit):
                    action = CHANGED
            plan.changes.append(Change(
                row=row.number,
                label=measure.name + (f", {authority.name}" if authority else ""),
                action=action, fields=fields, current=existing,
                data={"measure": measure, "authority": authority, "unit": unit, **data},
            ))
        return plan

    def write(self, change: Change) -> None:
        data = dict(change.data)
        unit = data.pop("unit")
        result = change.current or OutcomeResult(evaluation=self.evaluation)
        for name, value in data.items():
            setattr(result, name, value)
        save_result(result=result, by=self.user, unit=unit)
