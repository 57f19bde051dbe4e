"""The project page: summary, partners, grants, money, milestones, evaluation and
activity, each part scoped to what the user may see."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants import money
from grants.financial_year import FinancialYear
from grants.models import Allocation, Grant, SpendReturn
from grants.services import pay_milestone, record_payment, record_recovery, save_allocation
from projects.models import Milestone, Project
from projects.services import review_milestone, submit_milestone

PAID_ON = dt.date(2016, 1, 15)


def url(project):
    return reverse("projects:detail", kwargs={"project_pk": project.pk})


def part(page, start, end):
    """The page between two markers, e.g. one section."""
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def activity(page):
    return re.findall(
        r'<tr class="govuk-table__row app-activity">.*?</tr>', part(page, 'id="activity"', "</main>"), re.S
    )


@pytest.fixture
def busy(world, settings, tmp_path):
    """A project with a history: status changes, evidence, a return, an acceptance,
    payments, a recovery and spend returns."""
    settings.MEDIA_ROOT = tmp_path
    officer, finance = world.users.officer, world.users.finance
    world.project.set_status(Project.Status.CLOSING, by=officer, reason="Winding down")
    world.grant.set_status(Grant.Status.ACTIVE, by=officer)
    save_allocation(
        grant=world.grant,
        recipient=world.derbyshire,
        financial_year=FinancialYear(2016),
        resource=Decimal("10000.00"),
        capital=Decimal("2500.25"),
    )
    submit_milestone(
        milestone=world.derbyshire_milestone,
        by=world.users.derbyshire,
        narrative="Derbyshire unit running",
        files=[SimpleUploadedFile("derbyshire-evidence.pdf", b"%PDF-1.4\nDerbyshire\n")],
    )
    review_milestone(
        milestone=world.derbyshire_milestone, by=officer, decision="returned", reason="Add the caseload figures"
    )
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="Harrow unit recruited")
    review_milestone(milestone=world.harrow_milestone, by=officer, decision="accepted")
    pay_milestone(milestone=world.harrow_milestone, paid_on=PAID_ON, by=finance)
    record_payment(allocation=world.allocations["GB-LAE-DBY"], amount=Decimal("20000.00"), paid_on=PAID_ON, by=finance)
    record_recovery(
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("1000.00"),
        paid_on=PAID_ON,
        by=finance,
        reason="Overpaid",
        recovery_reason="overpayment",
    )
    SpendReturn.objects.create(
        allocation=world.allocations["GB-LAE-HRW"], quarter=1, spent=Decimal("5000.55"), forecast=Decimal("0")
    )
    SpendReturn.objects.create(
        allocation=world.allocations["GB-LAE-DBY"], quarter=1, spent=Decimal("7000.00"), forecast=Decimal("0")
    )
    for pk in Allocation.objects.values_list("pk", flat=True):  # rows written around the services
        money.refresh_balance(pk)
    return world


def test_the_officer_sees_the_summary(client, busy):
    client.force_login(busy.users.officer)
    page = client.get(url(busy.project)).content.decode()
    summary = part(page, ">Summary</h2>", "</dl>")
    assert re.search(r"Reference</dt>\s*<dd[^>]*>R1-01</dd>", summary)
    assert '<strong class="govuk-tag govuk-tag--yellow">Closing</strong>' in summary
    assert '<strong class="govuk-tag govuk-tag--orange">Amber</strong>' in summary and "Recruitment is slow" in summary
    assert "Morning Lane Associates" in summary
    assert "1 January 2015 to 31 December 2016" in summary
    assert "Reducing bureaucracy" in summary
    assert "Children&#x27;s Social Care Innovation Programme" in summary
    assert "Less time on bureaucracy." in summary


def test_partners_and_grants(client, busy):
    client.force_login(busy.users.officer)
    page = client.get(url(busy.project)).content.decode()
    partners = part(page, 'id="partners"', "</table>")
    assert re.search(r"Derbyshire County Council</td>\s*<td[^>]*>Partner authority</td>", partners)
    assert re.search(r"London Borough of Harrow</td>\s*<td[^>]*>Partner authority</td>", partners)
    grants = part(page, 'id="grants"', "</table>")
    assert "Reclaiming Social Work" in grants and "Round 1" in grants
    assert '<strong class="govuk-tag govuk-tag--green">Active</strong>' in grants
    assert "£1,000,000.00" in grants


def test_each_grants_money_for_those_who_see_all_of_it(client, busy):
    client.force_login(busy.users.officer)
    grants = part(client.get(url(busy.project)).content.decode(), 'id="grants"', "</table>")
    glossary = reverse("money-glossary")
    assert f'href="{glossary}#awarded">Amount awarded</a>' in grants
    assert f'href="{glossary}#headroom">Headroom</a>' in grants
    row = part(grants, "Reclaiming Social Work</a>", "</tr>")
    # Awarded, then allocated, net paid, committed, headroom and spent, from the kept balances.
    assert re.findall(r"£[\d,.]+", row) == [
        "£1,000,000.00",
        "£712,500.25",
        "£59,000.00",
        "£50,000.00",
        "£602,500.25",
        "£12,000.55",
    ]
    # A partner sees the award, but not the grant's money beyond its own.
    client.force_login(busy.users.harrow)
    grants = part(client.get(url(busy.project)).content.decode(), 'id="grants"', "</table>")
    assert re.findall(r"£[\d,.]+", grants) == ["£1,000,000.00"] and "Headroom" not in grants


def test_allocations_by_recipient_and_year_with_totals(client, busy):
    client.force_login(busy.users.officer)
    page = client.get(url(busy.project)).content.decode()
    table = part(page, 'id="allocations"', "</table>")
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', table)
    assert headers == ["Recipient", "2015-16", "2016-17", "Total"]
    derbyshire = part(table, "Derbyshire County Council</th>", "</tr>")
    cells = re.findall(
        r"(£[\d,.]+)\s*<br><span class=\"govuk-body-s\">Resource (£[\d,.]+)<br>Capital (£[\d,.]+)", derbyshire
    )
    assert cells == [
        ("£300,000.00", "£300,000.00", "£0.00"),
        ("£12,500.25", "£10,000.00", "£2,500.25"),
        ("£312,500.25", "£310,000.00", "£2,500.25"),
    ]
    harrow = part(table, "London Borough of Harrow</th>", "</tr>")
    assert "–" in harrow  # nothing allocated to Harrow in 2016-17
    totals = part(table, '<th scope="row" class="govuk-table__header">Total</th>', "</tr>")
    assert re.findall(r"(£[\d,.]+)<br><span", totals) == ["£700,000.00", "£12,500.25", "£712,500.25"]


def test_money_by_recipient_and_payments_with_recoveries_negative(client, busy):
    client.force_login(busy.users.officer)
    page = client.get(url(busy.project)).content.decode()
    table = part(page, 'id="money"', "</table>")
    glossary = reverse("money-glossary")
    headers = re.findall(r'<th scope="col"[^>]*>(?:<a [^>]*href="([^"]+)">)?([^<]+)', table)
    assert headers == [
        ("", "Recipient"),
        (f"{glossary}#allocated", "Allocated"),
        (f"{glossary}#net-paid", "Net paid"),
        (f"{glossary}#committed", "Committed"),
        (f"{glossary}#headroom", "Headroom"),
        (f"{glossary}#spent", "Spent"),
    ]
    # Allocated, net paid, committed, headroom, spent. Harrow's milestone is paid, so nothing is committed;
    # its £1,000 recovered is held, so headroom is £300,000 - £39,000 - £1,000.
    harrow = part(table, "London Borough of Harrow</th>", "</tr>")
    assert re.findall(r"£[\d,.]+", harrow) == ["£300,000.00", "£39,000.00", "£0.00", "£260,000.00", "£5,000.55"]
    # Derbyshire's returned milestone still commits its £50,000.
    derbyshire = part(table, "Derbyshire County Council</th>", "</tr>")
    assert re.findall(r"£[\d,.]+", derbyshire) == [
        "£312,500.25",
        "£20,000.00",
        "£50,000.00",
        "£242,500.25",
        "£7,000.00",
    ]
    totals = part(table, ">Total</th>", "</tr>")
    assert re.findall(r"£[\d,.]+", totals) == ["£712,500.25", "£59,000.00", "£50,000.00", "£602,500.25", "£12,000.55"]
    figures = money.totals(Allocation.objects.filter(grant__project=busy.project))
    assert [
        f"£{value:,.2f}"
        for value in (figures.allocated, figures.net_paid, figures.committed, figures.headroom, figures.spent)
    ] == re.findall(r"£[\d,.]+", totals)

    payments = part(page, 'id="payments"', "</table>")
    harrow_payment = (
        r"London Borough of Harrow</td>\s*<td[^>]*>Payment</td>\s*<td[^>]*><a [^>]*>Harrow unit recruited</a>"
    )
    assert re.search(harrow_payment + r"</td>\s*<td[^>]*>£40,000.00", payments)
    assert re.search(r"Recovery</td>\s*<td[^>]*></td>\s*<td[^>]*>-£1,000.00", payments)
    assert "£20,000.00" in payments


def test_milestones_with_states_and_overdue_tags(client, busy):
    client.force_login(busy.users.officer)
    page = client.get(url(busy.project)).content.decode()
    milestones = part(page, 'id="milestones"', "</table>")
    derbyshire = part(milestones, "Family breakdown unit running", "</tr>")
    assert "Returned</strong>" in derbyshire and "Overdue</strong>" in derbyshire and "£50,000.00" in derbyshire
    harrow = part(milestones, "Harrow unit recruited", "</tr>")
    assert "Accepted</strong>" in harrow and "Overdue" not in harrow and "London Borough of Harrow" in harrow


def test_the_evaluation_is_linked(client, busy):
    client.force_login(busy.users.officer)
    page = client.get(url(busy.project)).content.decode()
    evaluations = part(page, 'id="evaluations"', 'id="activity"')
    assert "Evaluation of Reclaiming Social Work" in evaluations
    assert "Evaluation of Kent family hubs" not in evaluations
    link = reverse("evaluations:detail", kwargs={"evaluation_pk": busy.evaluation.pk})
    assert f'href="{link}"' in evaluations


def test_activity_is_everything_newest_first_for_the_officer(client, busy):
    client.force_login(busy.users.officer)
    rows = activity(client.get(url(busy.project)).content.decode())
    texts = [re.sub(r"<[^>]+>|\s+", " ", row).strip() for row in rows]
    expected = [
        "Recovered £1,000.00 from London Borough of Harrow: Overpaid",
        "Paid £20,000.00 to Derbyshire County Council",
        "Paid £40,000.00 to London Borough of Harrow for ‘Harrow unit recruited’",
        "Accepted ‘Harrow unit recruited’",
        "Submitted evidence for ‘Harrow unit recruited’",
        "Returned ‘Family breakdown unit running’: Add the caseload figures",
        "Submitted evidence for ‘Family breakdown unit running’ (1 file)",
        "Grant ‘Reclaiming Social Work’ moved from Awarded to Active",
        "Project moved from Active to Closing: Winding down",
    ]
    assert len(texts) == len(expected)
    for text, what in zip(texts, expected, strict=True):
        assert text.endswith(what), (text, what)
    assert "Finance Tester" in texts[0] and "Officer Tester" in texts[-1] and "Derbyshire Tester" in texts[6]


def test_a_partner_sees_the_summary_but_only_its_own_money_milestones_and_activity(client, busy):
    client.force_login(busy.users.harrow)
    page = client.get(url(busy.project)).content.decode()
    assert "only your own organisation’s money and milestones" in page
    assert "Recruitment is slow" in page  # the summary
    assert "£1,000,000.00" in part(page, 'id="grants"', "</table>")
    assert "Derbyshire County Council" in part(page, 'id="partners"', "</table>")
    after_partners = page[page.index('id="grants"') :]
    assert "Derbyshire" not in after_partners
    assert "Family breakdown unit running" not in page
    assert "derbyshire-evidence.pdf" not in page and "caseload" not in page
    allocations = part(page, 'id="allocations"', "</table>")
    assert re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', allocations) == [
        "London Borough of Harrow",
        "Total",
    ]
    assert "2016-17" not in allocations  # that year has only Derbyshire's money
    totals = part(page, 'id="money"', "</table>")
    assert re.findall(r"£[\d,.]+", part(totals, ">Total</th>", "</tr>")) == [
        "£300,000.00",
        "£39,000.00",
        "£0.00",
        "£260,000.00",
        "£5,000.55",
    ]
    texts = [re.sub(r"<[^>]+>|\s+", " ", row).strip() for row in activity(page)]
    assert len(texts) == 6
    assert texts[0].endswith("Recovered £1,000.00 from London Borough of Harrow: Overpaid")
    assert texts[-1].endswith("Project moved from Active to Closing: Winding down")
    assert reverse("projects:edit", kwargs={"project_pk": busy.project.pk}) not in page


def test_the_lead_sees_all_of_its_project(client, busy):
    client.force_login(busy.users.morninglane)
    page = client.get(url(busy.project)).content.decode()
    assert "only your own organisation" not in page
    assert "Family breakdown unit running" in page and "Harrow unit recruited" in page
    assert re.findall(r"£[\d,.]+", part(part(page, 'id="money"', "</table>"), ">Total</th>", "</tr>")) == [
        "£712,500.25",
        "£59,000.00",
        "£50,000.00",
        "£602,500.25",
        "£12,000.55",
    ]
    assert len(activity(page)) == 9
    assert reverse("projects:edit", kwargs={"project_pk": busy.project.pk}) not in page


def test_only_officers_see_change_buttons(client, busy):
    edit = reverse("projects:edit", kwargs={"project_pk": busy.project.pk})
    links = [
        edit,
        reverse("projects:status", kwargs={"project_pk": busy.project.pk}),
        reverse("projects:partner-add", kwargs={"project_pk": busy.project.pk}),
        reverse("projects:milestone-create", kwargs={"project_pk": busy.project.pk}),
    ]
    for persona in ("officer", "admin"):
        client.force_login(getattr(busy.users, persona))
        page = client.get(url(busy.project)).content.decode()
        assert all(f'href="{link}"' in page for link in links), persona
    for persona in ("viewer", "finance"):
        client.force_login(getattr(busy.users, persona))
        page = client.get(url(busy.project)).content.decode()
        assert "govuk-button" not in part(page, "<main", "</main>"), persona
        assert "£712,500.25" in page  # they read everything


def test_the_add_grant_link_is_for_officers(client, busy):
    link = reverse("grants:create", kwargs={"project_pk": busy.project.pk})
    client.force_login(busy.users.officer)
    page = client.get(url(busy.project)).content.decode()
    assert f'href="{link}"' in page and "Add a grant" in page
    client.force_login(busy.users.viewer)
    page = client.get(url(busy.project)).content.decode()
    assert link not in page and "Add a grant" not in page


def test_an_evaluator_sees_the_project_it_evaluates_but_no_money(client, busy):
    client.force_login(busy.users.evaluator)
    page = client.get(url(busy.project)).content.decode()
    assert "Recruitment is slow" in page
    assert 'id="allocations"' not in page and 'id="payments"' not in page and 'id="milestones"' not in page
    assert client.get(url(busy.other_project)).status_code == 404


@pytest.mark.parametrize("persona", ["kent", "outsider", "derbyshire"])
def test_projects_outside_the_users_scope_are_not_found(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(url(world.other_project if persona == "derbyshire" else world.project)).status_code == 404


def test_an_unknown_project_is_not_found(client, world):
    client.force_login(world.users.officer)
    assert client.get(reverse("projects:detail", kwargs={"project_pk": 999999})).status_code == 404


def count_queries(client, project):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(project)).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_rows(client, busy, django_assert_max_num_queries):
    client.force_login(busy.users.officer)
    few = count_queries(client, busy.project)
    for n in range(8):
        milestone = Milestone.objects.create(
            project=busy.project,
            organisation=busy.harrow,
            title=f"Extra {n}",
            due_date=dt.date(2016, 1, 1),
            payment_amount=Decimal("100.00"),
            allocation=busy.allocations["GB-LAE-HRW"],
        )
        milestone.record_initial_status(by=busy.users.officer)
        submit_milestone(milestone=milestone, by=busy.users.harrow, narrative="Done")
        review_milestone(milestone=milestone, by=busy.users.officer, decision="accepted")
        pay_milestone(milestone=milestone, paid_on=PAID_ON, by=busy.users.finance)
        save_allocation(
            grant=busy.grant,
            recipient=busy.harrow,
            financial_year=FinancialYear(2017 + n),
            resource=Decimal("1.00"),
            capital=Decimal("0"),
        )
    assert count_queries(client, busy.project) == few
    with django_assert_max_num_queries(25):
        client.get(url(busy.project))
