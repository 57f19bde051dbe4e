"""The programme dashboard: money added up in SQL from the kept balances (grants.money),
milestones that need attention, submissions waiting for review and projects by RAG rating."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants import money
from grants.models import Allocation, SpendReturn
from grants.services import record_payment, record_recovery
from projects.models import Milestone, MilestoneSubmission, Project
from projects.services import review_milestone, submit_milestone
from reports.dashboard import DASHBOARD_LIST_LIMIT, dashboard_figures

URL = reverse("projects:dashboard")


def figure(page, label):
    """The figure beside a label, which may be a link to the glossary."""
    match = re.search(
        rf'<dt class="govuk-summary-list__key">(?:<a [^>]*>)?{re.escape(label)}(?:</a>)?</dt>\s*'
        rf'<dd class="govuk-summary-list__value">([^<]*)',
        page,
    )
    assert match, label
    return match.group(1).strip()


def table(page, caption):
    start = page.index(f">{caption}</caption>")
    return page[start : page.index("</table>", start)]


@pytest.mark.parametrize("persona", ["officer", "admin", "viewer", "finance"])
def test_programme_readers_see_the_dashboard(client, world, persona):
    client.force_login(getattr(world.users, persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert "Children&#x27;s Social Care Innovation Programme" in response.content.decode()


@pytest.mark.parametrize("persona", ["morninglane", "harrow", "evaluator", "outsider"])
def test_recipients_and_evaluators_are_refused(client, world, persona):
    client.force_login(getattr(world.users, persona))
    assert client.get(URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


def test_money_figures_are_summed_to_the_penny(client, world):
    finance = world.users.finance
    paid_on = dt.date(2016, 1, 15)
    record_payment(allocation=world.allocations["GB-LAE-HRW"], amount=Decimal("100000.00"), paid_on=paid_on, by=finance)
    record_payment(allocation=world.other_allocation, amount=Decimal("0.01"), paid_on=paid_on, by=finance)
    record_recovery(
        allocation=world.allocations["GB-LAE-HRW"],
        amount=Decimal("2500.50"),
        paid_on=paid_on,
        by=finance,
        reason="Unspent money returned",
        recovery_reason="underspend_returned",
    )
    SpendReturn.objects.create(
        allocation=world.allocations["GB-LAE-HRW"], quarter=1, spent=Decimal("12345.67"), forecast=Decimal("0")
    )
    SpendReturn.objects.create(
        allocation=world.allocations["GB-LAE-DBY"], quarter=2, spent=Decimal("1000.01"), forecast=Decimal("5")
    )
    for pk in Allocation.objects.values_list("pk", flat=True):  # rows written around the services
        money.refresh_balance(pk)
    client.force_login(world.users.officer)
    page = client.get(URL).content.decode()
    assert figure(page, "Budget") == "£200,000,000.00"
    assert figure(page, "Awarded") == "£1,500,000.00"
    assert figure(page, "Allocated") == "£950,000.00"
    assert figure(page, "Net paid") == "£97,499.51"
    # The three milestones' payments: Derbyshire £50,000, Harrow £40,000, Kent £25,000.
    assert figure(page, "Committed") == "£115,000.00"
    # £950,000 less £97,499.51 net paid, £115,000 committed and Harrow's £2,500.50 recovered and held.
    assert figure(page, "Headroom") == "£734,999.99"
    assert figure(page, "Spent") == "£13,345.68"
    totals = money.totals(Allocation.objects.all())
    assert (totals.net_paid, totals.committed, totals.headroom, totals.spent) == (
        Decimal("97499.51"),
        Decimal("115000.00"),
        Decimal("734999.99"),
        Decimal("13345.68"),
    )


def test_each_money_label_links_to_its_meaning(client, world):
    client.force_login(world.users.officer)
    page = client.get(URL).content.decode()
    glossary = reverse("money-glossary")
    for key, label in (
        ("awarded", "Awarded"),
        ("allocated", "Allocated"),
        ("net-paid", "Net paid"),
        ("committed", "Committed"),
        ("headroom", "Headroom"),
        ("spent", "Spent"),
    ):
        assert re.search(rf'<dt class="govuk-summary-list__key"><a [^>]*href="{glossary}#{key}">{label}</a></dt>', page)
    assert re.search(r'<dt class="govuk-summary-list__key">Budget</dt>', page)  # not a money term of a grant


def test_the_dashboard_adds_up_balances_not_the_ledger(client, world):
    """A figure comes from the kept balance: a row written around the services shows only once the
    balance is brought in step (and reconciliation lists it until then)."""
    SpendReturn.objects.create(
        allocation=world.allocations["GB-LAE-HRW"], quarter=1, spent=Decimal("10.00"), forecast=Decimal("0")
    )
    client.force_login(world.users.officer)
    assert figure(client.get(URL).content.decode(), "Spent") == "£0.00"
    money.refresh_balance(world.allocations["GB-LAE-HRW"].pk)
    assert figure(client.get(URL).content.decode(), "Spent") == "£10.00"


def test_illustrative_figures_are_marked(client, world):
    world.programme.budget_is_illustrative = True
    world.programme.save()
    client.force_login(world.users.viewer)
    page = client.get(URL).content.decode()
    budget_row = page[page.index(">Budget<") : page.index(">Awarded<")]
    awarded_row = page[page.index(">Awarded<") : page.index(">Allocated<")]
    assert "Illustrative" in budget_row
    assert "Illustrative" not in awarded_row
    world.grant.illustrative = True
    world.grant.save()
    page = client.get(URL).content.decode()
    assert "Illustrative" in page[page.index(">Awarded<") : page.index(">Allocated<")]


def test_overdue_due_soon_and_waiting_milestones_are_listed(client, world):
    today = timezone.localdate()
    soon = Milestone.objects.create(
        project=world.project, organisation=world.harrow, title="Soon milestone", due_date=today + dt.timedelta(days=10)
    )
    Milestone.objects.create(
        project=world.project,
        organisation=world.harrow,
        title="Later milestone",
        due_date=today + dt.timedelta(days=45),
    )
    submit_milestone(milestone=world.derbyshire_milestone, by=world.users.derbyshire, narrative="Unit is running")
    client.force_login(world.users.officer)
    page = client.get(URL).content.decode()

    overdue = table(page, "Overdue milestones")
    assert "Harrow unit recruited" in overdue and "Hubs open" in overdue
    assert "Family breakdown unit running" not in overdue  # submitted, so no longer owed
    due = table(page, "Milestones due in the next 30 days")
    assert soon.title in due and "Later milestone" not in due and "Hubs open" not in due
    waiting = table(page, "Submissions waiting for review")
    assert "Family breakdown unit running" in waiting
    assert reverse("projects:milestone", kwargs={"milestone_pk": world.derbyshire_milestone.pk}) in waiting
    assert timezone.localdate().strftime("%-d %B %Y") in waiting


def test_waiting_submissions_are_the_longest_waiting_by_their_latest_submission(world):
    """The list is cut to its limit and says how many wait in all; a milestone sent back and submitted
    again waits from its latest submission, not its first."""
    today = timezone.localdate()
    submitted = []
    for n in range(DASHBOARD_LIST_LIMIT + 2):
        milestone = Milestone.objects.create(
            project=world.other_project, organisation=world.kent, title=f"Waiting {n}", due_date=today
        )
        submission = submit_milestone(milestone=milestone, by=world.users.kent, narrative="Done")
        # Submitted a day apart, the last made first.
        at = timezone.now() - dt.timedelta(days=100 - n)
        MilestoneSubmission.objects.filter(pk=submission.pk).update(submitted_at=at)
        submitted.append(milestone)
    first = submitted[0]
    review_milestone(milestone=first, by=world.users.officer, decision="returned", reason="Needs the report")
    first.refresh_from_db()
    submit_milestone(milestone=first, by=world.users.kent, narrative="Report attached")

    waiting = dashboard_figures(world.users.officer, today)["waiting"]

    assert [milestone.pk for milestone in waiting] == [
        milestone.pk for milestone in submitted[1 : DASHBOARD_LIST_LIMIT + 1]
    ]
    assert waiting.total == DASHBOARD_LIST_LIMIT + 2 and waiting.more == 2
    assert waiting[0].submitted_at == MilestoneSubmission.objects.get(milestone=submitted[1]).submitted_at


def test_projects_are_counted_by_rag_rating_with_links_to_the_list(client, world):
    world.other_project.rag, world.other_project.rag_reason = Project.Rag.RED, "Late"
    world.other_project.save()
    client.force_login(world.users.officer)
    page = client.get(URL).content.decode()
    rag = page[page.index("Projects by RAG rating") :]
    assert re.search(r"Red</strong></dt>\s*<dd[^>]*>1 project</dd>", rag)
    assert re.search(r"Amber</strong></dt>\s*<dd[^>]*>1 project</dd>", rag)
    assert re.search(r"Green</strong></dt>\s*<dd[^>]*>0 projects</dd>", rag)
    assert re.search(r"Not rated</dt>\s*<dd[^>]*>0 projects</dd>", rag)
    assert f'href="{reverse("projects:list")}?rag=red"' in rag
    assert f'href="{reverse("projects:list")}?rag=none"' in rag


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    client.force_login(world.users.officer)
    few = count_queries(client)
    today = timezone.localdate()
    for n in range(20):
        Milestone.objects.create(
            project=world.other_project,
            organisation=world.kent,
            title=f"Milestone {n}",
            due_date=today + dt.timedelta(days=n % 40 - 10),
        )
    for n in range(5):
        milestone = Milestone.objects.create(
            project=world.other_project, organisation=world.kent, title=f"Submitted {n}", due_date=today
        )
        submit_milestone(milestone=milestone, by=world.users.kent, narrative="Done")
    for n in range(5):
        record_payment(
            allocation=world.other_allocation,
            amount=Decimal("100.00"),
            paid_on=dt.date(2016, 1, 15),
            by=world.users.finance,
        )
    assert count_queries(client) == few
    with django_assert_max_num_queries(18):  # 14, one for the forecast outturn, three counts of the bounded lists
        client.get(URL)


def test_each_list_shows_the_oldest_twenty_and_says_how_many_there_are(client, world):
    """The dashboard stays the same size however many milestones are overdue."""
    for n in range(25):
        milestone = Milestone.objects.create(
            project=world.project,
            organisation=world.harrow,
            title=f"Late milestone {n:02d}",
            due_date=dt.date(2015, 1, 1) + dt.timedelta(days=n),
        )
        milestone.record_initial_status(by=world.users.officer)
    client.force_login(world.users.officer)
    page = client.get(reverse("projects:dashboard")).content.decode()
    overdue = Milestone.objects.overdue(timezone.localdate()).count()
    assert overdue > 25
    # Oldest first: the first twenty of the twenty-five, due before the world's own milestones.
    assert "Late milestone 19" in page and "Late milestone 20" not in page
    assert page.count("Late milestone") == 20
    assert f"20 of {overdue} shown, oldest first; {overdue - 20} more." in page
