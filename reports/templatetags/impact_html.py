"""The impact report's table of results and its charts, put together in Python.

A page shows up to 50 results in each of three groups, and the templates that drew them spent most of the
report's time resolving some forty variables a row and three bars a result; the markup is the same, built
here (tests/reports/test_impact_report.py reads it). Every value is escaped on the way in.
"""

from functools import cache

from django import template
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from core.templatetags.govuk import ILLUSTRATIVE_LEGEND, MARK_IN_HTML, illustrative_mark, money

register = template.Library()

_HEAD = (
    "Measure",
    "Evidence",
    "Baseline",
    "Follow-up",
    "Target",
    "Change",
    "Judgement",
    "Significance",
)
_MONEY_HEAD = (
    '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Spent to date</th>'
    '<th scope="col" class="govuk-table__header">Cost per outcome</th>'
)
_JUDGEMENT_COLOURS = {"improved": "green", "worsened": "red"}


def _cell(content) -> str:
    return f'<td class="govuk-table__cell">{content}</td>'


def _small(text) -> str:
    return f'<br><span class="govuk-body-s">{conditional_escape(text)}</span>'


def _period(start, end) -> str:
    return _small(f"{format_date(start, 'M Y') if start else ''} to {format_date(end, 'M Y') if end else ''}")


def _projects(projects, links: bool, urls: dict) -> str:
    """The projects evaluated, each linked to its own impact report when ``links``."""
    names = []
    for project in projects:
        if links:
            if project.pk not in urls:
                urls[project.pk] = reverse("impact:project", kwargs={"project_pk": project.pk})
            names.append(format_html('<a class="govuk-link" href="{}">{}</a>', urls[project.pk], project.title))
        else:
            names.append(conditional_escape(project.title))
    return ", ".join(names)


def _evidence(row) -> str:
    """Design first, then the Maryland level, so a before-and-after finding never reads like a trial."""
    evaluation, rating = row.evaluation, row.rating
    level = rating["maryland"]
    parts = [conditional_escape(evaluation.get_design_display())]
    if level:
        colour = "green" if evaluation.evidence_strength == "stronger" else "yellow"
        parts.append(f'<br><strong class="govuk-tag govuk-tag--{colour}">Maryland level {level} of 5</strong>')
    else:
        parts.append('<br><strong class="govuk-tag govuk-tag--grey">Not rated</strong>')
    if evaluation.rating_exceeds_design:
        parts.append(_small(f"Rated level {level}, but the design has no comparison group: shown as weaker evidence."))
    if rating["effectiveness"]:
        parts.append(_small(f"What Works effectiveness: {rating['effectiveness'].value_label}"))
    if rating["strength"]:
        parts.append(_small(f"What Works strength of evidence: {rating['strength'].value_label}"))
    return "\n".join(parts)


def _row(row, show_money: bool, links: bool, urls: dict, period, evidence: dict) -> str:
    result, shown = row.result, row.shown
    if row.evaluation.pk not in evidence:
        evidence[row.evaluation.pk] = _evidence(row)
    header = (
        f"{conditional_escape(row.measure.name)}{illustrative_mark(getattr(result, 'illustrative', False))}"
        f'<br><span class="govuk-body-s">{conditional_escape(row.where)}; {_projects(row.projects, links, urls)}</span>'
        f"{_small(row.measure.get_direction_display())}"
    )
    followup = (
        f"{conditional_escape(shown['followup'])}{period(result.followup_period_start, result.followup_period_end)}"
        if result.followup_value is not None
        else "Not yet"
    )
    if result.change is not None:
        change = conditional_escape(shown["change"])
        if shown["change_percent"]:
            change += _small(f"{shown['change_percent']} on the baseline")
    else:
        change = "–"
    judgement = format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>',
        _JUDGEMENT_COLOURS.get(result.judgement, "grey"),
        result.judgement_label,
    )
    if result.target_met is not None:
        judgement += _small(f"Target {'met' if result.target_met else 'not met'}")
    significance = result.shown_significance
    cells = [
        f'<th scope="row" class="govuk-table__header">{header}</th>',
        _cell(evidence[row.evaluation.pk]),
        _cell(
            f"{conditional_escape(shown['baseline'])}{period(result.baseline_period_start, result.baseline_period_end)}"
        ),
        _cell(followup),
        _cell(conditional_escape(shown["target"] or "None set")),
        _cell(change),
        _cell(judgement),
        _cell(f"{conditional_escape(significance.label)}{_small(capfirst(significance.basis))}"),
    ]
    if show_money:
        cells.append(
            '<td class="govuk-table__cell govuk-table__cell--numeric">'
            f"{money(row.spend)}{illustrative_mark(row.spend_illustrative)}</td>"
        )
        cost = (
            f"{money(row.cost_per_outcome)}{illustrative_mark(row.cost_illustrative)}<br>"
            if row.cost_per_outcome is not None
            else ""
        )
        cells.append(_cell(f'{cost}<span class="govuk-body-s">{conditional_escape(row.cost_note)}</span>'))
    return '<tr class="govuk-table__row">' + "".join(cells) + "</tr>"


@register.simple_tag(takes_context=True)
def impact_rows(context, caption, rows, show_money, project_links=False):
    """The table of one group of results, with the legend of the illustrative mark if a figure carries it.

    The table scrolls inside its own labelled region, so a phone never scrolls the page sideways; the
    region is named by the caption, whose id is numbered per rendering because a report has many groups."""
    number = context.render_context.get("impact_rows_tables", 0) + 1
    context.render_context["impact_rows_tables"] = number
    caption_id = f"impact-results-{number}-caption"
    head = "".join(f'<th scope="col" class="govuk-table__header">{name}</th>' for name in _HEAD)
    urls: dict[int, str] = {}
    # A table's results share a few periods and evaluations: each period is formatted, and each evaluation's
    # evidence written, once.
    period = cache(_period)
    evidence: dict[int, str] = {}
    table = (
        f'<div class="app-table-scroll" role="region" aria-labelledby="{caption_id}" tabindex="0">'
        '<table class="govuk-table govuk-table--small-text-until-tablet">'
        f'<caption id="{caption_id}" class="govuk-table__caption govuk-table__caption--s">'
        f"{conditional_escape(caption)}</caption>"
        f'<thead class="govuk-table__head"><tr class="govuk-table__row">{head}{_MONEY_HEAD if show_money else ""}'
        '</tr></thead><tbody class="govuk-table__body">'
        + "\n".join(_row(row, show_money, project_links, urls, period, evidence) for row in rows)
        + "</tbody></table></div>"
    )
    return mark_safe(table + ILLUSTRATIVE_LEGEND if MARK_IN_HTML in table else table)


@register.simple_tag
def impact_chart(chart):
    """One measure's chart as SVG: presentation attributes only (no style attribute), so it passes the Content
    Security Policy and prints the same in the PDF. Each bar carries its value as a tooltip and as text."""
    measure = chart.subject
    title_id = f"chart-{measure.pk}-title"
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" role="img"'
            ' aria-labelledby="{}" font-family="Arial, sans-serif">'
            '<title id="{}">{}: baseline, follow-up and target of each result ({})</title>',
            chart.width,
            chart.height,
            chart.width,
            chart.height,
            title_id,
            title_id,
            measure.name,
            measure.get_direction_display().lower(),
        )
    ]
    # Hundreds of bars a page: the numbers and colours are the chart's own, only the words are escaped.
    parts.extend(
        f'<rect x="{item["x"]}" y="6" width="12" height="12" fill="{item["fill"]}"/>'
        f'<text x="{item["x"] + 16}" y="16" font-size="12" fill="#0b0c0c">{conditional_escape(item["name"])}</text>'
        for item in chart.legend
    )
    for group in chart.groups:
        label = conditional_escape(group["label"])
        parts.append(f'<text x="0" y="{group["label_y"]}" font-size="12" fill="#0b0c0c">{label}</text>')
        for bar in group["bars"]:
            series, value = conditional_escape(bar.label), conditional_escape(bar.value)
            parts.append(
                f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="14" fill="{bar.fill}">'
                f"<title>{series}: {value}</title></rect>"
                f'<text x="{bar.text_x}" y="{bar.y + 11}" font-size="11" fill="#0b0c0c">{value}</text>'
            )
    parts.append("</svg>")
    return mark_safe("\n".join(parts))
