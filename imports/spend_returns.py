"""The import of quarterly spend returns, saved by grants.spend_returns under the rules a form's return
meets, in one bulk write."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from grants.models import Allocation, Grant, Organisation, SpendReturn
from grants.spend_returns import ReturnEntry, save_spend_returns
from imports.importers import (
    CHANGED,
    NEW,
    UNCHANGED,
    Change,
    Importer,
    Plan,
    organisation_index,
    pounds,
)
from imports.models import ImportBatch
from imports.spreadsheet import Column, Layout, Row, build_template, problem_at
from imports.spreadsheet_cells import convert

SPEND_RETURNS = Layout(
    "Spend returns",
    (
        Column(
            "grant",
            "Grant",
            list_name="Grants",
            width=22,
            hint="the grant's identifier, chosen from the list; the grants are listed below.",
        ),
        Column(
            "organisation",
            "Organisation",
            list_name="Organisations",
            width=42,
            hint="the organisation that received the allocation, chosen from the list.",
        ),
        Column(
            "financial_year",
            "Financial year",
            kind="year",
            list_name="Financial years",
            width=16,
            hint="the allocation's financial year, chosen from the list (for example 2016-17).",
        ),
        Column(
            "quarter",
            "Quarter",
            kind="quarter",
            list_name="Quarters",
            width=10,
            hint="Q1 is April to June, Q2 July to September, Q3 October to December, Q4 January to March.",
        ),
        Column(
            "spent",
            "Spent in the quarter (£)",
            kind="money",
            width=24,
            hint="money actually spent in the quarter, in pounds and pence, as a number.",
        ),
        Column(
            "forecast",
            "Forecast for the rest of the year (£)",
            kind="money",
            width=34,
            hint="money you expect to spend in the rest of the financial year after this quarter.",
        ),
        Column(
            "comment",
            "Comment",
            required=False,
            max_length=2000,
            width=60,
            hint="anything the programme officer should know, such as the reason for an underspend.",
        ),
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
        allocations = (
            self.scope()
            .select_related("grant__project", "recipient")
            .order_by("grant__project__reference", "grant", "financial_year", "recipient__name")
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
                rows.append(
                    [
                        self.grant_id(allocation.grant_id),
                        allocation.recipient.name,
                        str(allocation.financial_year),
                        f"Q{quarter.number}",
                        existing.spent if existing else None,
                        existing.forecast if existing else None,
                        (existing.comment or None) if existing else None,
                    ]
                )
        grants = list(dict.fromkeys(allocation.grant for allocation in allocations))
        who = (
            "every allocation in the programme"
            if self.user.is_officer
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
        known = organisation_index(Organisation.objects.filter(Q(name__in=names) | Q(org_id__in=names)))
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
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "grant",
                        f"“{grant_label}” is not a grant you can send spend returns for: choose one from the list",
                    )
                )
                continue
            name, year = values["organisation"], values.get("financial_year")
            candidates = known.get(name, [])
            if not candidates:
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "organisation",
                        f"“{name}” is not an organisation this service knows: choose one from the list",
                    )
                )
                continue
            if own is not None and all(candidate.pk != own.pk for candidate in candidates):
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "organisation",
                        f"You can send spend returns only for {own.name}'s own allocations; this row is for {name}",
                    )
                )
                continue
            if own is not None:
                candidates = [own]
            if len(values) < len(self.layout.columns):
                continue  # a cell is wrong and already listed; the row goes no further
            allocation = next(
                (allocations[key] for c in candidates if (key := (grant_pk, c.pk, year)) in allocations), None
            )
            if allocation is None:
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "financial_year",
                        f"{name} has no allocation from {grant_label} for {year}",
                    )
                )
                continue
            quarter = values["quarter"]
            key = (allocation.pk, quarter)
            if key in seen:
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "quarter",
                        f"Row {seen[key]} is already the return for {name}, {grant_label}, {year} Q{quarter}: "
                        "give each quarter one row",
                    )
                )
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
            plan.changes.append(
                Change(
                    row=row.number,
                    label=f"{allocation.recipient.name}, {grant_label}, {year} Q{quarter}",
                    action=action,
                    fields=fields,
                    current=existing,
                    data={
                        "allocation": allocation,
                        "quarter": quarter,
                        "spent": values["spent"],
                        "forecast": values["forecast"],
                        "comment": values["comment"],
                    },
                )
            )
        return plan

    def write_all(self, changes: list[Change]) -> list:
        """Every return in one bulk save (grants.spend_returns.save_spend_returns), under the same rules as
        one return sent by the form: a 10,000-row file costs a few queries, not a few per row."""
        entries = [
            ReturnEntry(
                allocation=change.data["allocation"],
                quarter=change.data["quarter"],
                spent=change.data["spent"],
                forecast=change.data["forecast"],
                comment=change.data["comment"],
                current=change.current,
            )
            for change in changes
        ]
        refused = save_spend_returns(by=self.user, entries=entries)
        return [problem for index, error in sorted(refused.items()) for problem in self.refusal(changes[index], error)]
