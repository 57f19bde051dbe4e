"""The demo programme's impact report shows Hertfordshire's child protection plan
result, its evidence rating, and the illustrative mark on its invented figures."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_report_shows_hertfordshires_child_protection_plans_as_weaker_illustrative_evidence(client, demo):
    client.force_login(User.objects.get(username="officer"))
    html = client.get(reverse("impact:report")).content.decode()
    weaker = html[html.index('id="weaker"') :]
    row = weaker[weaker.index("Children on child protection plans per 10,000") :]
    row = row[: row.index("</tr>")]
    assert "Hertfordshire" in row
    assert "40 per 10,000" in row and "20 per 10,000" in row
    assert "-20 per 10,000" in row and "-50% on the baseline" in row and "Improved" in row
    assert "Before and after, no comparison group" in row and "Maryland level 2 of 5" in row
    assert "Illustrative" in row
    assert 'id="stronger"' not in html  # nothing in the demo compares with a group that did not get it
    assert "Illustrative: invented for the demonstration" in html  # the legend under the marked table


def test_the_demo_workbook_marks_the_figures_illustrative(client, demo):
    client.force_login(User.objects.get(username="viewer"))
    response = client.get(reverse("impact:report"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content))["Results"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    hertfordshire = next(row for row in rows if row["Authority"] == "Hertfordshire County Council")
    assert hertfordshire["Baseline"] == 40 and hertfordshire["Follow-up"] == 20
    assert hertfordshire["Maryland level"] == 2 and hertfordshire["Evidence"] == "Weaker"
    assert hertfordshire["Illustrative"] == "Yes"


def test_the_catalogue_holds_the_design_measures_after_the_demo(demo):
    from evaluations.catalogue import MEASURES
    from evaluations.models import OutcomeMeasure

    held = {
        m.name: (m.unit, m.direction, m.outcome_area.name)
        for m in OutcomeMeasure.objects.select_related("outcome_area")
    }
    for name, area, unit, direction, _ in MEASURES:
        assert held[name] == (unit, direction, area)
