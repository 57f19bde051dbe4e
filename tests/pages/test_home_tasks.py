"""Each role's home is a task list of what waits for them (issue 20): counts read in a fixed number of
queries from the same scoped querysets as the lists they link to, so each count is the number of rows
its list shows; a council counts only its own organisation's work, never a partner's."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Evaluation, EvaluationReport
from grants import money
from grants.models import Grant, SpendReturn, Variation
from grants.reconciliation import find_discrepancies
from projects.models import Milestone
from reports.tasks import tasks_for

HOME = reverse("home")


@pytest.fixture
def work(world, settings, tmp_path):
    """Things waiting for each role, inside and outside the personas' scope.

    Milestones: Derbyshire's evidence is submitted, a second Derbyshire milestone and Kent's are planned and
    overdue, Harrow's was returned (and is overdue), Morning Lane's is accepted and waits for payment.
    Spend returns: Derbyshire's and Kent's submitted, Harrow's reviewed. One variation waits, one was decided.
    Evaluations: the evaluator's has results and no report; a second of theirs has neither; Kent's (not
    theirs) has a report."""
    settings.MEDIA_ROOT = tmp_path
    Milestone.objects.filter(pk=world.derbyshire_milestone.pk).update(status=Milestone.Status.SUBMITTED)
    Milestone.objects.filter(pk=world.harrow_milestone.pk).update(status=Milestone.Status.RETURNED)
    Milestone.objects.create(
        project=world.project,
        organisation=world.derbyshire,
        title="Second unit running",
        due_date=dt.date(2016, 3, 31),
    )
    Milestone.objects.create(
        project=world.project,
        organisation=world.morning_lane,
        title="Psychologist in post",
        due_date=dt.date(2015, 6, 30),
        payment_amount=Decimal("10000.00"),
        allocation=world.allocations["GB-COH-07000001"],
        status=Milestone.Status.ACCEPTED,
    )
    for allocation, quarter, reviewed in (
        (world.allocations["GB-LAE-DBY"], 1, False),
        (world.other_allocation, 1, False),
        (world.allocations["GB-LAE-HRW"], 1, True),
    ):
        SpendReturn.objects.create(
            allocation=allocation,
            quarter=quarter,
            spent=Decimal("1000.00"),
            forecast=Decimal("2000.00"),
            status=SpendReturn.Status.REVIEWED if reviewed else SpendReturn.Status.SUBMITTED,
            reviewed_by=world.users.officer if reviewed else None,
            reviewed_at=timezone.now() if reviewed else None,
        )
    allocation = world.allocations["GB-LAE-DBY"]
    for status in (Variation.Status.PENDING, Variation.Status.REJECTED):
        Variation.objects.create(
            grant=world.grant,
            allocation=allocation,
            amount_before=allocation.amount,
            amount_after=allocation.amount + 500000,
            resource_after=allocation.resource + 500000,
            capital_after=allocation.capital,
            reason="More families",
            requested_by=world.users.admin,
            status=status,
            decided_by=None if status == Variation.Status.PENDING else world.users.officer,
            decided_at=None if status == Variation.Status.PENDING else timezone.now(),
        )
    # Rows written directly, as in tests/conftest.py: each allocation's kept balance is brought into step.
    for allocation in (*world.allocations.values(), world.other_allocation):
        money.refresh_balance(allocation.pk)
    second = Evaluation.objects.create(title="Second look", evaluator_organisation=world.university, design="rct")
    second.projects.add(world.project)
    second.evaluators.add(world.users.evaluator)
    report = EvaluationReport(
        evaluation=world.other_evaluation,
        title="Final report",
        kind="final",
        original_name="report.pdf",
        content_type="application/pdf",
        size_bytes=9,
    )
    report.file.save("report.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return world


def counts(user):
    return {task.title: task.count for task in tasks_for(user, timezone.localdate())}


def test_a_programme_officer_counts_evidence_returns_variations_and_overdue_milestones(work):
    assert counts(work.users.officer) == {
        "Milestone evidence to review": 1,
        "Spend returns to review": 2,
        "Variations waiting for approval": 1,
        "Overdue milestones": 3,
        # The fixture's awards are not all allocated, and its spend is not paid yet.
        "Reconciliation differences to put right": 4,
    }
    assert counts(work.users.admin) == counts(work.users.officer)


def test_each_officer_count_is_the_number_of_rows_its_list_shows(client, work):
    client.force_login(work.users.officer)
    tasks = {task.title: task for task in tasks_for(work.users.officer, timezone.localdate())}
    dashboard = client.get(tasks["Overdue milestones"].url.split("#")[0]).context
    assert dashboard["waiting"].total == len(dashboard["waiting"]) == tasks["Milestone evidence to review"].count
    assert dashboard["overdue"].total == len(dashboard["overdue"]) == tasks["Overdue milestones"].count
    returns = client.get(tasks["Spend returns to review"].url)
    assert len(returns.context["returns"]) == 2
    assert returns.content.decode().count('href="/grants/allocations/') == 2
    assert "2 spend returns waiting" in returns.content.decode()
    variations = client.get(tasks["Variations waiting for approval"].url).context
    assert variations["pending"].count() == tasks["Variations waiting for approval"].count
    reconciliation = client.get(tasks["Reconciliation differences to put right"].url)
    listed = reconciliation.context["discrepancies"]
    assert sum(d.needs_action for d in listed) == tasks["Reconciliation differences to put right"].count
    assert "4 discrepancies found" in reconciliation.content.decode()


def test_finance_counts_the_payments_its_waiting_list_shows(client, work):
    assert counts(work.users.finance) == {"Payments waiting": 1}
    client.force_login(work.users.finance)
    page = client.get(reverse("grants:payments-waiting")).context["page"]
    assert [milestone["title"] for milestone in page.object_list] == ["Psychologist in post"]


def test_a_council_counts_only_its_own_organisations_milestones(client, work):
    # Each council's 2015-16 allocation owes a return for each quarter (all long past) but Q1, which it made.
    assert counts(work.users.derbyshire) == {"Milestones that need your evidence": 1, "Spend returns due": 3}
    # Harrow's returned milestone is its only one: Derbyshire's, in the same project, never counts.
    assert counts(work.users.harrow) == {"Milestones that need your evidence": 1, "Spend returns due": 3}
    assert counts(work.users.outsider) == {"Milestones that need your evidence": 0, "Spend returns due": 0}
    for persona, title in (("derbyshire", "Second unit running"), ("harrow", "Harrow unit recruited")):
        client.force_login(getattr(work.users, persona))
        to_do = client.get(reverse("projects:yours")).context["to_do"]
        assert [milestone.title for milestone in to_do] == [title]
        page = client.get(HOME).content.decode()
        assert "1 returned for changes, 1 overdue." in page if persona == "harrow" else "0 returned" in page


def test_the_spend_returns_due_are_the_rows_the_councils_count_and_its_list_shows(client, work):
    derbyshire = work.allocations["GB-LAE-DBY"]
    client.force_login(work.users.derbyshire)
    (task,) = [task for task in tasks_for(work.users.derbyshire, timezone.localdate()) if "Spend" in task.title]
    assert task.hint.endswith("3 overdue.")
    response = client.get(task.url)
    owed = response.context["owed"]
    assert [(o.allocation, o.quarter.number) for o in owed] == [(derbyshire, 2), (derbyshire, 3), (derbyshire, 4)]
    # Each quarter is due 30 days after it ends: Q2 2015-16 ends on 30 September 2015.
    assert owed[0].due == dt.date(2015, 10, 30)
    page = " ".join(response.content.decode().split())
    assert "3 spend returns due, 3 overdue" in page
    create = reverse("grants:spend-return-create", kwargs={"allocation_pk": derbyshire.pk})
    assert page.count(f'href="{create}"') == 3
    # The lead sees its partners' allocations, but owes (and is shown) only its own organisation's returns.
    client.force_login(work.users.morninglane)
    lead = client.get(task.url).context["owed"]
    assert {o.allocation.recipient for o in lead} == {work.morning_lane} and len(lead) == 4


def test_a_return_made_or_a_project_closed_owes_no_more(client, work):
    derbyshire = work.allocations["GB-LAE-DBY"]
    SpendReturn.objects.create(allocation=derbyshire, quarter=2, spent=Decimal("1.00"), forecast=Decimal("0.00"))
    assert counts(work.users.derbyshire)["Spend returns due"] == 2
    # Funder staff see every return the programme is owed: the three councils' and Kent's.
    client.force_login(work.users.finance)
    owed = client.get(reverse("spend-returns-due")).context["page"].paginator.count
    assert owed == 2 + 3 + 4 + 3
    type(work.project).objects.filter(pk=work.project.pk).update(status="closed")
    assert counts(work.users.derbyshire)["Spend returns due"] == 0
    assert client.get(reverse("spend-returns-due")).context["page"].paginator.count == 3


def test_an_evaluator_counts_its_own_evaluations_without_results_or_reports(client, work):
    assert counts(work.users.evaluator) == {
        "Evaluations with no outcome results": 1,
        "Evaluations with no report uploaded": 2,
    }
    client.force_login(work.users.evaluator)
    rows = client.get(reverse("evaluations:yours")).context["evaluations"]
    assert sum(row.result_count == 0 for row in rows) == 1
    assert sum(row.report_count == 0 for row in rows) == 2


def test_a_viewer_counts_the_reports_the_evaluation_list_shows(client, work):
    assert counts(work.users.viewer) == {"Evaluation reports to read": 1}
    client.force_login(work.users.viewer)
    rows = client.get(reverse("evaluations:list")).context["evaluations"]
    assert sum(row.report_count for row in rows) == 1


@pytest.mark.parametrize(
    ("persona", "queries"),
    [("officer", 8), ("finance", 1), ("derbyshire", 2), ("evaluator", 1), ("viewer", 1)],
)
def test_each_roles_counts_take_the_same_few_queries_however_much_waits(
    work, django_assert_num_queries, persona, queries
):
    # The officer's eight: three of the task list's own (milestones, spend returns, variations) and five of the
    # reconciliation check (grants/reconciliation.py), worked afresh as each change of the data makes it.
    user = getattr(work.users, persona)
    with django_assert_num_queries(queries):
        tasks_for(user, timezone.localdate())
    for n in range(5):
        Milestone.objects.create(
            project=work.project,
            organisation=work.derbyshire,
            title=f"More {n}",
            due_date=dt.date(2015, 1, 1),
            status=Milestone.Status.SUBMITTED if n % 2 else Milestone.Status.PLANNED,
        )
        evaluation = Evaluation.objects.create(title=f"More {n}", evaluator_organisation=work.university, design="rct")
        evaluation.evaluators.add(work.users.evaluator)
    with django_assert_num_queries(queries):
        tasks_for(user, timezone.localdate())


def test_the_home_page_is_a_task_list_with_counts_and_links(client, work):
    client.force_login(work.users.officer)
    response = client.get(HOME)
    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    assert '<ul class="govuk-task-list" id="tasks">' in page
    assert "11 things wait for you." in page
    assert (
        '<a class="govuk-link govuk-task-list__link" href="/spend-returns/to-review/" '
        'aria-describedby="task-2-hint task-2-status">Spend returns to review</a>'
    ) in page
    assert '<strong class="govuk-tag govuk-tag--blue">2 waiting</strong>' in page
    assert 'href="/projects/dashboard/#overdue-milestones-caption"' in page
    # Each link's anchor is a table on the page it leads to.
    assert 'id="overdue-milestones-caption"' in client.get("/projects/dashboard/").content.decode()


def test_a_task_with_nothing_waiting_says_so(client, work):
    client.force_login(work.users.outsider)
    page = client.get(HOME).content.decode()
    assert "Nothing waits for you." in page and "None waiting" in page


def test_a_visitor_still_gets_the_start_page(client, db):
    response = client.get(HOME)
    assert response.status_code == 200
    assert "govuk-task-list" not in response.content.decode()
    assert reverse("accounts:sign-in") in response.content.decode()


@pytest.mark.parametrize("persona", ["finance", "viewer", "derbyshire", "evaluator"])
def test_only_programme_officers_open_the_spend_returns_to_review(client, work, persona):
    client.force_login(getattr(work.users, persona))
    assert client.get(reverse("spend-returns-to-review")).status_code == 403


def test_a_visitor_is_sent_to_sign_in_from_the_spend_returns_to_review(client, work):
    response = client.get(reverse("spend-returns-to-review"))
    assert response.status_code == 302 and "/account/sign-in/" in response["Location"]


def test_the_spend_returns_to_review_page_reads_the_same_queries_however_many_wait(
    client, work, django_assert_max_num_queries
):
    client.force_login(work.users.officer)
    client.get(reverse("spend-returns-to-review"))  # the session and the user, read once
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("spend-returns-to-review"))
    for quarter in (2, 3, 4):
        for allocation in (work.allocations["GB-LAE-DBY"], work.other_allocation):
            SpendReturn.objects.create(
                allocation=allocation, quarter=quarter, spent=Decimal("1.00"), forecast=Decimal("1.00")
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("spend-returns-to-review")).content.decode()
    assert "8 spend returns waiting" in page


def test_a_difference_an_officer_explained_is_listed_but_not_counted(work):
    before = counts(work.users.officer)["Reconciliation differences to put right"]
    Grant.objects.filter(pk=work.grant.pk).update(unallocated_reason="Held back for the second year, on purpose")
    cache.clear()  # the reconciliation's answer is shared for a minute; this change went round the services
    listed = find_discrepancies(Grant.objects.all())
    explained = [d for d in listed if not d.needs_action]
    assert explained and all(d.grant == work.grant for d in explained)
    (task,) = [t for t in tasks_for(work.users.officer, timezone.localdate()) if t.title.startswith("Reconciliation")]
    assert task.count == before - len(explained) == sum(d.needs_action for d in listed)
    assert f"{len(explained):,} more {'is' if len(explained) == 1 else 'are'} listed as expected" in task.hint
