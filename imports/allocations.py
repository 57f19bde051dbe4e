"""The import of a grant's allocations: the lead's and each partner's share, saved by grants.services."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied

from grants import services as money
from grants.financial_year import FinancialYear
from grants.models import Grant, Organisation
from imports.importers import (
    CHANGED,
    NEW,
    UNCHANGED,
    Change,
    Importer,
    Plan,
    organisation_index,
    pounds,
    unknown_organisation,
)
from imports.models import ImportBatch
from imports.spreadsheet import Column, Layout, Row, build_template, problem_at
from imports.spreadsheet_cells import convert

ALLOCATIONS = Layout(
    "Allocations",
    (
        Column(
            "organisation",
            "Organisation",
            list_name="Organisations",
            width=42,
            hint="the lead organisation or a partner of the project, chosen from the list.",
        ),
        Column(
            "financial_year",
            "Financial year",
            kind="year",
            list_name="Financial years",
            width=16,
            hint="the financial year, 1 April to 31 March, chosen from the list (for example 2016-17).",
        ),
        Column(
            "resource",
            "Resource (£)",
            kind="money",
            required=False,
            width=18,
            hint="revenue money in pounds and pence, as a number; blank means £0.",
        ),
        Column(
            "capital",
            "Capital (£)",
            kind="money",
            required=False,
            width=18,
            hint="capital money in pounds and pence, as a number; blank means £0.",
        ),
        Column(
            "purpose",
            "Purpose",
            required=False,
            max_length=300,
            width=60,
            hint="what the money is for, up to 300 characters.",
        ),
    ),
)


class AllocationImport(Importer):
    kind = ImportBatch.Kind.ALLOCATIONS
    layout = ALLOCATIONS
    noun = "allocation"
    heading = "Import allocations from a spreadsheet"
    value_keys = ("resource", "capital", "purpose")
    field_columns = {
        "recipient": "organisation",
        "financial_year": "financial_year",
        "resource": "resource",
        "capital": "capital",
        "purpose": "purpose",
    }
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
        allocations = list(
            self.grant.allocations.select_related("recipient").order_by("financial_year", "recipient__name")
        )
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
        allowed = organisation_index(self.organisations())
        current = {(a.recipient_id, a.financial_year): a for a in self.grant.allocations.select_related("recipient")}
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
                    unknown_organisation(name)
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
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "organisation",
                        f"{organisation.name} already has a row for {year} (row {seen[key]}): "
                        "give each organisation one row a year",
                    )
                )
                continue
            seen[key] = row.number
            resource = values["resource"] or Decimal("0.00")
            capital = values["capital"] or Decimal("0.00")
            purpose = values["purpose"]
            existing = current.get(key)
            before = (
                (pounds(existing.resource), pounds(existing.capital), existing.purpose) if existing else ("", "", "")
            )
            after = (pounds(resource), pounds(capital), purpose)
            fields = list(zip(("Resource", "Capital", "Purpose"), before, after, strict=True))
            if existing is None:
                action = NEW
            else:
                action = CHANGED if before != after else UNCHANGED
            plan.changes.append(
                Change(
                    row=row.number,
                    label=f"{organisation.name}, {year}",
                    action=action,
                    fields=fields,
                    current=existing,
                    data={
                        "recipient": organisation,
                        "financial_year": year,
                        "resource": resource,
                        "capital": capital,
                        "purpose": purpose,
                    },
                )
            )
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
