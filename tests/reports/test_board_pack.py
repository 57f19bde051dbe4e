"""The programme board pack: the PDF's figures to the penny "as at" a day (what
was recorded by then, nothing from a later financial year), the reconciliation
as at the day, overdue milestones by their status history, projects by the RAG
rating their history had on the day, red first, the impact summary with stronger
evidence apart from weaker. The page (the date form's errors, who may download it)
and a query count that does not grow with the number of projects are in
tests/reports/test_board_pack_page.py.

The money is the spending report's known programme (tests/reports/conftest.py),
summed again there from its rows in plain Python; the milestones, ratings and results
around it are the ``pack`` fixture (tests/reports/board_pack_setup.py).
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from grants import money as money_module
from grants.financial_year import FinancialYear
from grants.models import Allocation, Payment
from grants.reconciliation import find_discrepancies
from projects.models import Project, ProjectStatusChange
from reports.board_pack import board_pack_context, build_board_pack_pdf
from tests.factories import AllocationFactory, GrantFactory, MilestoneFactory, ProjectFactory
from tests.reports.board_pack_setup import AS_AT, history, pack, pdf_pages, squash  # noqa: F401 (pack: the fixture)
from tests.reports.conftest import GRANTS, Filters, at_noon, backdate_history, expected

D = Decimal


def money_text(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def expected_as_at(as_at: dt.date) -> tuple[dict, dict]:
    """(figures by financial year label, totals) as at the end of ``as_at``, from the rows of the test data."""
    years, totals = expected(Filters(as_at=as_at), "financial_year")
    names = ("allocated", "paid", "spent", "forecast")
    for figures in [*years.values(), totals]:
        figures["variance"] = figures["allocated"] - figures["spent"] - figures["forecast"]
    return ({label: {name: figures[name] for name in (*names, "variance")} for label, figures in years.items()}, totals)


# --- The figures -----------------------------------------------------------------


@pytest.mark.parametrize(
    "as_at",
    [
        dt.date(2015, 12, 31),
        dt.date(2016, 3, 31),
        dt.date(2016, 6, 29),
        dt.date(2016, 6, 30),
        AS_AT,
        dt.date(2017, 2, 2),
        dt.date(2018, 4, 1),
    ],
)
def test_the_spending_figures_are_those_as_at_the_day_to_the_penny(pack, as_at):
    context = board_pack_context(as_at)
    years, totals = expected_as_at(as_at)
    assert {
        row.labels[0]: {
            "allocated": row.allocated,
            "paid": row.paid,
            "spent": row.spent,
            "forecast": row.forecast,
            "variance": row.variance,
        }
        for row in context["years"]
    } == years
    row = context["totals"]
    assert (row.allocated, row.paid, row.spent, row.forecast, row.variance) == (
        totals["allocated"],
        totals["paid"],
        totals["spent"],
        totals["forecast"],
        totals["variance"],
    )
    assert row.awarded == sum(awarded for _, _, awarded in GRANTS.values())
    later = FinancialYear.of(as_at) + 1
    assert years and all(FinancialYear.parse(label) < later for label in years)


def test_a_payment_after_the_day_is_left_out(pack):
    # a3 was paid £75,000.05 on 30 June 2016.
    before = board_pack_context(dt.date(2016, 6, 29))["totals"].paid
    on_the_day = board_pack_context(dt.date(2016, 6, 30))["totals"].paid
    assert on_the_day - before == D("75000.05")
    assert before == expected_as_at(dt.date(2016, 6, 29))[1]["paid"]


def test_the_pdf_holds_every_section_with_its_figures(pack):
    pages = pdf_pages(build_board_pack_pdf(AS_AT))
    text = squash("\n".join(pages[1:]))  # after the cover, which lists the sections
    # The cover: title, date, time of generation; "Page x of y" on every page.
    assert "Programme board pack" in pages[0] and "31 December 2016" in pages[0] and "Generated" in pages[0]
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1))
    for heading in (
        "1. Spending summary",
        "2. Reconciliation",
        "3. Overdue milestones",
        "4. Projects by RAG rating",
        "5. Impact summary",
    ):
        assert heading in text

    years, totals = expected_as_at(AS_AT)
    spending = text[text.index("1. Spending summary") : text.index("2. Reconciliation")]
    for name in ("allocated", "paid", "spent", "forecast", "variance"):
        assert money_text(totals[name]) in spending, name
    for label, figures in years.items():
        assert re.search(
            re.escape(label)
            + r" "
            + r" ".join(
                re.escape(money_text(figures[name])) for name in ("allocated", "paid", "spent", "forecast", "variance")
            ),
            spending,
        ), label
    assert "Paid by the year of the payment's date, spent by the year its spend return covers" in spending

    # Reconciliation as at the day: Grant g5 was awarded £100,000.00 and nothing allocated.
    reconciliation = text[text.index("2. Reconciliation") : text.index("3. Overdue milestones")]
    count = len(find_discrepancies(as_at=AS_AT))
    assert f"{count} discrepancies found in the records as they stood at the end of 31 December 2016" in reconciliation
    assert "Allocations total £0.00, £100,000.00 less than the award of £100,000.00" in reconciliation
    assert "Grant g5" in reconciliation

    milestones = text[text.index("3. Overdue milestones") : text.index("4. Projects by RAG rating")]
    assert "2 milestones overdue on 31 December 2016" in milestones
    hub_days = (AS_AT - dt.date(2016, 9, 15)).days
    assert re.search(
        r"A-02 Project A-02 Northshire County Council Family hub open in Northshire† "
        rf"15 Sep 2016 {hub_days} days Planned",
        milestones,
    )
    # The invented milestone is marked, and its table's footnote says what the mark means, once.
    assert milestones.count("† Illustrative: invented for the demonstration") == 1
    recruit_days = (AS_AT - dt.date(2016, 10, 1)).days
    assert re.search(rf"Recruit the family workers 1 Oct 2016 {recruit_days} days Planned", milestones)
    assert "Baseline survey delivered" not in milestones and "Final evaluation report" not in milestones
    assert "awaiting the funder's review" in milestones and "Six-month survey of carers" in milestones

    rag = text[text.index("4. Projects by RAG rating") : text.index("5. Impact summary")]
    assert re.search(r"Red 1 Amber 1 Green 1 Not rated 1 Total 4", rag)
    listed = [
        rag.index(reference)
        for reference in ("A-02 Project A-02", "B-01 Project B-01", "A-01 Project A-01", "B-02 Project B-02")
    ]
    assert listed == sorted(listed)  # red, amber, green, not rated
    assert "The hub has no building yet" in rag and "1 Dec 2016" in rag
    assert "On track" in rag and "lost its director" not in rag  # A-01's rating on the day, not today's
    assert "Z-99" not in rag and "1 project closed or withdrawn by then is not listed" in rag

    impact = text[text.index("5. Impact summary") :]

    def heading_above(row_text):
        """Which group's heading comes last before a result's row."""
        row = impact.index(row_text)
        stronger, weaker = impact.rfind("Stronger evidence", 0, row), impact.rfind("Weaker evidence", 0, row)
        return "stronger" if stronger > weaker else "weaker"

    assert heading_above("Children on child protection plans per 10,000") == "stronger"
    assert heading_above("Foster carers recruited") == "weaker"
    assert re.search(r"Stronger evidence 1 0 0 0 Weaker evidence 1 0 0 0", impact)  # improved, worsened, ...
    assert "Maryland level 5 of 5" in impact and "Maryland level 2 of 5" in impact
    assert re.search(r"45 per 10,000 .*32\.5 per 10,000 .*-12\.5 per 10,000 -27\.8% Improved", impact)
    assert re.search(r"10 .*14 .*\+4 \+40% Improved", impact)


def test_a_long_tables_header_repeats_on_every_page(pack):
    for number in range(80):
        ProjectFactory(
            reference=f"Y-{number:03d}",
            programme=pack.programmes["p1"],
            rag="amber",
            rag_reason="Waiting for the partner councils to sign",
        )
    pages = pdf_pages(build_board_pack_pdf(AS_AT))
    rag_pages = [page for page in pages if "Y-0" in page]
    assert len(rag_pages) >= 2
    assert all("RAG Project Lead organisation Status on the day Reason Rated on" in squash(page) for page in rag_pages)


def test_long_lists_are_cut_to_a_readable_length_with_their_counts_kept(pack, monkeypatch):
    """At national scale a board gets the most overdue and the first of each rating, not thousands of rows."""
    monkeypatch.setattr("reports.board_pack.LIST_LIMIT", 2)
    for number in range(5):
        ProjectFactory(
            reference=f"Z-{number:03d}", programme=pack.programmes["p1"], rag="amber", rag_reason="Slow start"
        )
    backdate_history(Project, dt.date(2016, 1, 1), reference__startswith="Z-")
    text = squash("\n".join(pdf_pages(build_board_pack_pdf(AS_AT))[1:]))  # after the cover's contents
    rag = text[text.index("4. Projects by RAG rating") : text.index("5. Impact summary")]
    amber = len([p for p in board_pack_context(AS_AT)["rag_groups"] if p.rag == "amber"][0].projects)
    assert amber >= 5
    assert f"Amber: the first 2 of {amber} are listed" in rag
    assert sum(rag.count(f"Z-{number:03d}") for number in range(5)) <= 2


def test_as_at_a_later_day_the_milestone_accepted_since_is_no_longer_overdue(pack):
    context = board_pack_context(dt.date(2017, 3, 1))
    assert [item.milestone.title for item in context["overdue"]] == ["Family hub open in Northshire"]
    assert [item.milestone.title for item in context["awaiting_review"]] == ["Six-month survey of carers"]
    assert context["overdue"][0].days == (dt.date(2017, 3, 1) - dt.date(2016, 9, 15)).days


def test_a_milestone_created_after_the_day_was_not_overdue_on_it(pack):
    milestone = MilestoneFactory(project=pack.projects["A-01"], title="Added later", due_date=dt.date(2016, 1, 1))
    history(milestone, ("", "planned", dt.date(2017, 1, 5)))
    titles = [item.milestone.title for item in board_pack_context(AS_AT)["overdue"]]
    assert "Added later" not in titles
    assert "Added later" in [item.milestone.title for item in board_pack_context(dt.date(2017, 1, 6))["overdue"]]


def test_projects_are_listed_by_their_status_on_the_day(pack):
    later = ProjectFactory(
        reference="R2-01", title="Round 2 project", programme=pack.programmes["p1"], rag="red", rag_reason="Late start"
    )
    ProjectStatusChange.objects.create(
        project=later, old_status="", new_status="proposed", changed_at=timezone.make_aware(dt.datetime(2017, 6, 1, 12))
    )
    closed_since = ProjectFactory(
        reference="C-01",
        title="Closed since",
        programme=pack.programmes["p1"],
        status=Project.Status.CLOSED,
        rag="green",
        rag_reason="Delivered",
    )
    for old, new, day in (
        ("", "proposed", dt.date(2015, 1, 1)),
        ("proposed", "active", dt.date(2015, 4, 1)),
        ("active", "closing", dt.date(2017, 1, 1)),
        ("closing", "closed", dt.date(2017, 3, 1)),
    ):
        ProjectStatusChange.objects.create(
            project=closed_since,
            old_status=old,
            new_status=new,
            changed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))),
        )

    def listed(day):
        context = board_pack_context(day)
        projects = [project for group in context["rag_groups"] for project in group.projects]
        return {project.reference: project.status_then for project in projects}, context["finished_projects"]

    projects, finished = listed(AS_AT)
    assert "R2-01" not in projects and projects["C-01"] == "active" and finished == 1  # Z-99, with no history
    projects, finished = listed(dt.date(2017, 6, 1))
    assert projects["R2-01"] == "proposed" and "C-01" not in projects and finished == 2


def test_everything_reconciles_when_nothing_differs(db):
    grant = GrantFactory(amount_awarded=D("100000.00"))
    AllocationFactory(grant=grant, resource=D("100000.00"))
    text = squash("\n".join(pdf_pages(build_board_pack_pdf(AS_AT))))
    assert "Everything reconciled at the end of 31 December 2016" in text
    assert "No milestone was overdue on 31 December 2016" in text
    assert "No outcome results have been recorded yet" in text


# --- As at the day: nothing from later years, reconciliation and ratings then ----------


def test_as_at_the_end_of_a_year_nothing_from_a_later_year_is_counted(pack):
    """A 2019-20 allocation of £9,500,000.00, made in June 2018: the pack as at 31 March 2019 neither counts
    it as allocated nor calls it an underspend; the pack as at 1 April 2019 does count it."""
    later = Allocation.objects.create(
        grant=pack.grants["g4"],
        recipient=pack.orgs["charity"],
        financial_year=FinancialYear(2019),
        resource=D("9500000.00"),
    )
    backdate_history(Allocation, dt.date(2018, 6, 1), id=later.pk)
    money_module.refresh_balance(later.pk)
    as_at = dt.date(2019, 3, 31)
    context = board_pack_context(as_at)
    years, totals = expected_as_at(as_at)
    assert [row.labels[0] for row in context["years"]] == ["2015-16", "2016-17", "2017-18"]
    assert (context["totals"].allocated, context["totals"].variance) == (totals["allocated"], totals["variance"])
    assert context["totals"].variance < D("9500000.00")
    text = squash("\n".join(pdf_pages(build_board_pack_pdf(as_at))[1:]))
    spending = text[text.index("1. Spending summary") : text.index("2. Reconciliation")]
    assert "2019-20" not in spending and "9,500,000.00" not in spending
    assert "allocations for years starting after 31 March 2019 are not counted" in spending

    next_day = board_pack_context(dt.date(2019, 4, 1))
    assert next_day["years"][-1].labels[0] == "2019-20"
    assert next_day["totals"].allocated == totals["allocated"] + D("9500000.00")


def test_the_reconciliation_is_of_the_records_as_they_stood_on_the_day(pack):
    """Grant g5 had nothing allocated on 31 December 2016, whatever was allocated since; a payment to
    Eastborough's 2016-17 allocation (a3: £150,000.15, £95,000.05 paid) dated 1 December 2016 but recorded on
    10 January 2017 passes the allocation only from the day it was recorded."""
    since = Allocation.objects.create(
        grant=pack.grants["g5"],
        recipient=pack.orgs["westham"],
        financial_year=FinancialYear(2017),
        resource=D("100000.00"),
    )
    money_module.refresh_balance(since.pk)
    Payment.objects.create(
        allocation=pack.allocations["a3"],
        amount=D("60000.00"),
        paid_on=dt.date(2016, 12, 1),
        recorded_at=at_noon(dt.date(2017, 1, 10)),
    )

    def messages(day):
        return [discrepancy.message for discrepancy in find_discrepancies(as_at=day)]

    on_the_day = messages(AS_AT)
    assert "Allocations total £0.00, £100,000.00 less than the award of £100,000.00" in on_the_day
    assert not any("Net payments to London Borough of Eastborough" in message for message in on_the_day)
    recorded = messages(dt.date(2017, 1, 10))
    assert (
        "Net payments to London Borough of Eastborough for 2016-17 of £155,000.05 are £4,999.90 more than its "
        "allocation of £150,000.15"
    ) in recorded
    today = messages(timezone.localdate())
    assert "Allocations total £0.00, £100,000.00 less than the award of £100,000.00" not in today

    text = squash("\n".join(pdf_pages(build_board_pack_pdf(AS_AT))[1:]))  # after the cover's contents
    reconciliation = text[text.index("2. Reconciliation") : text.index("3. Overdue milestones")]
    assert (
        f"{len(on_the_day)} discrepancies found in the records as they stood at the end of 31 December 2016"
        in reconciliation
    )
    assert "Eastborough" not in reconciliation
    assert f"{timezone.localdate():%-d %B %Y}" not in reconciliation  # dated the day, not today


def test_each_project_has_the_rating_its_history_had_on_the_day(pack):
    def ratings(day):
        context = board_pack_context(day)
        return {
            project.reference: (group.rag, project.rag_reason_then)
            for group in context["rag_groups"]
            for project in group.projects
        }

    assert ratings(AS_AT)["A-01"] == ("green", "On track")
    assert ratings(dt.date(2017, 6, 1))["A-01"] == ("red", "The lead has lost its director")
    assert ratings(dt.date(2016, 5, 31))["A-01"] == ("", "")  # set up in 2015, first rated in June 2016
    assert Project.objects.get(reference="A-01").rag == "red"  # today's rating, not shown as at 2016


def test_the_cover_says_what_as_at_means(pack):
    cover = squash(pdf_pages(build_board_pack_pdf(AS_AT))[0])
    assert "Every figure is as recorded by the end of 31 December 2016" in cover
    assert "payments and recoveries count in the year and quarter of the date they were made" in cover
