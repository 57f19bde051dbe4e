"""The import of an evaluation's outcome results, saved by evaluations.services.

Every row is saved by save_result, so a result for an organisation that takes part in
none of the projects evaluated (and is not named as a comparison group's) is refused
with the model's own message, at its row, and nothing of the file is written."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, Value, When

from evaluations.models import Evaluation, OutcomeMeasure, OutcomeResult, plain
from evaluations.services import save_result
from grants.models import Organisation
from imports.importers import (
    CHANGED,
    NEW,
    UNCHANGED,
    Change,
    Importer,
    Plan,
)
from imports.models import ImportBatch
from imports.spreadsheet import Column, Layout, Row, build_template, problem_at
from imports.spreadsheet_cells import convert

SIGNIFICANCE_LABELS = {
    "Statistically significant": "significant",
    "Not statistically significant": "not_significant",
    "Not tested": "not_tested",
}

RESULTS = Layout(
    "Results",
    (
        Column(
            "measure",
            "Outcome measure",
            list_name="Measures",
            width=44,
            hint="the measure from the programme's catalogue, chosen from the list.",
        ),
        Column(
            "authority",
            "Authority or organisation",
            required=False,
            list_name="Authorities",
            width=34,
            hint="only if the figures are for one organisation: the project's lead or one of its partners (they "
            "come first in the list), or, for a comparison group's figures, any organisation; blank for the whole "
            "evaluation.",
        ),
        Column(
            "unit",
            "Unit",
            required=False,
            list_name="Units",
            width=20,
            hint="the unit the figures are in; it must be the measure's. Blank means the measure's unit.",
        ),
        Column(
            "baseline_value",
            "Baseline value",
            kind="number",
            width=16,
            hint="the value before the project, as a number (0 or more).",
        ),
        Column(
            "baseline_period_start",
            "Baseline period start",
            kind="date",
            width=20,
            hint="a date Excel recognises, such as 01/04/2014.",
        ),
        Column(
            "baseline_period_end", "Baseline period end", kind="date", width=20, hint="a date, on or after the start."
        ),
        Column("target_value", "Target", kind="number", required=False, width=12, hint="optional, 0 or more."),
        Column(
            "followup_value",
            "Follow-up value",
            kind="number",
            required=False,
            width=16,
            hint="optional, 0 or more; it needs the follow-up period.",
        ),
        Column(
            "followup_period_start",
            "Follow-up period start",
            kind="date",
            required=False,
            width=22,
            hint="optional; after the baseline period ends.",
        ),
        Column(
            "followup_period_end",
            "Follow-up period end",
            kind="date",
            required=False,
            width=22,
            hint="optional; on or after the follow-up start.",
        ),
        Column(
            "comparison_value",
            "Comparison group value",
            kind="number",
            required=False,
            width=22,
            hint="optional: the comparison group's value at follow-up.",
        ),
        Column("effect_size", "Effect size", kind="number", required=False, width=14, hint="optional."),
        Column(
            "ci_lower",
            "Confidence interval lower",
            kind="number",
            required=False,
            width=24,
            hint="optional: the lower bound of the 95% confidence interval.",
        ),
        Column(
            "ci_upper",
            "Confidence interval upper",
            kind="number",
            required=False,
            width=24,
            hint="optional: the upper bound; the interval must contain the effect size.",
        ),
        Column(
            "p_value",
            "p-value",
            kind="number",
            required=False,
            places=5,
            width=10,
            hint="optional, between 0 and 1, up to 5 decimal places.",
        ),
        Column(
            "significance",
            "Significance",
            required=False,
            list_name="Significance",
            width=28,
            hint="chosen from the list; blank means not tested.",
        ),
        Column(
            "source_report",
            "Source report",
            required=False,
            list_name="Reports",
            width=40,
            hint="optional: the title of one of this evaluation's reports.",
        ),
        Column(
            "source_location",
            "Where in the report",
            required=False,
            max_length=200,
            width=24,
            hint="optional, for example table 4.2.",
        ),
        Column(
            "comparison_group",
            "Comparison group",
            required=False,
            max_length=200,
            width=34,
            hint="only if the figures are a comparison group's, not the project's: the group's name, for example "
            "Statistical neighbours of Hertfordshire.",
        ),
    ),
)

RESULT_FIGURES = (
    "baseline_value",
    "baseline_period_start",
    "baseline_period_end",
    "target_value",
    "followup_value",
    "followup_period_start",
    "followup_period_end",
    "comparison_value",
    "effect_size",
    "ci_lower",
    "ci_upper",
    "p_value",
)


class ResultImport(Importer):
    kind = ImportBatch.Kind.RESULTS
    layout = RESULTS
    noun = "result"
    heading = "Import outcome results from a spreadsheet"
    value_keys = RESULT_FIGURES + ("significance", "source_report", "source_location", "comparison_group")
    default_column = "baseline_value"

    def __init__(self, user, evaluation: Evaluation):
        if not Evaluation.objects.editable_by(user).filter(pk=evaluation.pk).exists():
            raise PermissionDenied(
                "Only a programme officer or an evaluator assigned to this evaluation can import its results"
            )
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
        """Every organisation, those taking part in the evaluation's projects (the lead and the
        partners) first: any other is only for a comparison group's figures."""
        taking_part = self.evaluation.organisations_taking_part()
        first = Case(When(pk__in=taking_part, then=Value(0)), default=Value(1))
        return Organisation.objects.order_by(first, "name")

    def workbook(self):
        results = self.evaluation.results.select_related("measure", "authority", "source_report").order_by(
            "measure__name", "authority__name"
        )
        significance = {code: label for label, code in SIGNIFICANCE_LABELS.items()}
        rows = [
            [
                r.measure.name,
                r.authority.name if r.authority else None,
                r.measure.get_unit_display(),
                *[getattr(r, name) for name in RESULT_FIGURES],
                significance[r.significance],
                r.source_report.title if r.source_report else None,
                r.source_location or None,
                r.comparison_group or None,
            ]
            for r in results
        ]
        instructions = [
            f"Evaluation: {self.evaluation.title}.",
            "Use this workbook to add or change the evaluation's outcome results: one row for each measure, "
            "or for each measure and organisation when figures are given authority by authority.",
            "A figure for one organisation is for the project's lead or one of its partners. A comparison group's "
            "figures (for example, statistical neighbours) go in a row of their own with the group named in the "
            "column “Comparison group”: they are shown as the comparison group's, never as the project's.",
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
            (r.measure_id, r.authority_id, r.comparison_group): r
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
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "measure",
                        f"“{values['measure']}” is not a measure in the catalogue: choose one from the list",
                    )
                )
            authority = None
            if values.get("authority"):
                name = values["authority"]
                if name not in organisations:
                    organisations[name] = list(Organisation.objects.filter(Q(name=name) | Q(org_id=name)))
                found = organisations[name]
                # Whether it takes part in the project is OutcomeResult.clean's to say, through save_result.
                if not found:
                    message = f"“{name}” is not an organisation this service knows: choose one from the list"
                elif len(found) > 1:
                    message = f"More than one organisation is called “{name}”: give its org-id instead"
                else:
                    authority, message = found[0], ""
                if message:
                    plan.problems.append(problem_at(self.layout, row.number, "authority", message))
            unit = None
            if values.get("unit"):
                unit = units.get(values["unit"].casefold())
                if unit is None:
                    plan.problems.append(
                        problem_at(
                            self.layout,
                            row.number,
                            "unit",
                            f"“{values['unit']}” is not a unit: choose one from the list",
                        )
                    )
            significance = "not_tested"
            if values.get("significance"):
                significance = SIGNIFICANCE_LABELS.get(values["significance"])
                if significance is None:
                    plan.problems.append(
                        problem_at(
                            self.layout,
                            row.number,
                            "significance",
                            f"“{values['significance']}” is not a choice: choose one from the list",
                        )
                    )
            source = None
            if values.get("source_report"):
                found = reports.get(values["source_report"], [])
                if len(found) != 1:
                    plan.problems.append(
                        problem_at(
                            self.layout,
                            row.number,
                            "source_report",
                            f"“{values['source_report']}” is not {'one' if not found else 'exactly one'} of this "
                            "evaluation's reports: choose one from the list",
                        )
                    )
                else:
                    source = found[0]
            if len(plan.problems) > problems_before or len(values) < len(self.layout.columns) or measure is None:
                continue
            group = values["comparison_group"]
            key = (measure.pk, authority.pk if authority else None, group)
            if key in seen:
                plan.problems.append(
                    problem_at(
                        self.layout,
                        row.number,
                        "measure",
                        f"Row {seen[key]} is already the result for {measure.name}"
                        f"{' in ' + authority.name if authority else ''}"
                        f"{' for the comparison group ' + group if group else ''}: give each measure and authority "
                        "one row",
                    )
                )
                continue
            seen[key] = row.number
            existing = current.get(key)
            data = {name: values[name] for name in RESULT_FIGURES}
            data |= {
                "significance": significance,
                "source_report": source,
                "source_location": values["source_location"],
            }

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
                (
                    RESULTS.column(name).title,
                    shown(name, getattr(existing, name)) if existing else "",
                    shown(name, value),
                )
                for name, value in data.items()
            ]
            if existing is None:
                action = NEW
            else:
                action = CHANGED if any(before != after for _, before, after in fields) else UNCHANGED
                if unit is not None and unit != (existing.unit or existing.measure.unit):
                    action = CHANGED
            label = measure.name + (f", {authority.name}" if authority else "")
            if group:
                label = f"{measure.name}, comparison group: {group}" + (f" ({authority.name})" if authority else "")
            plan.changes.append(
                Change(
                    row=row.number,
                    label=label,
                    action=action,
                    fields=fields,
                    current=existing,
                    data={"measure": measure, "authority": authority, "comparison_group": group, "unit": unit, **data},
                )
            )
        return plan

    def write(self, change: Change) -> None:
        data = dict(change.data)
        unit = data.pop("unit")
        result = change.current or OutcomeResult(evaluation=self.evaluation)
        for name, value in data.items():
            setattr(result, name, value)
        save_result(result=result, by=self.user, unit=unit)
