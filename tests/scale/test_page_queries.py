"""Every list, report and dashboard page makes the same number of queries, at most
20, however big the programme: measured on a generated programme, then again after
a second, larger one is added beside it."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from demo.generate import generate_programme
from projects.models import Project

MAX_QUERIES = 20


def pages(project, council):
    """(who, label, url) for the pages a national programme makes big."""
    officer_pages = [
        ("dashboard", reverse("projects:dashboard")),
        ("project list", reverse("projects:list")),
        ("project list, second page", reverse("projects:list") + "?page=2"),
        ("project page", reverse("projects:detail", kwargs={"project_pk": project.pk})),
        ("project changes", reverse("projects:history", kwargs={"project_pk": project.pk})),
        ("payments waiting", reverse("grants:payments-waiting")),
        ("reconciliation", reverse("grants:reconciliation")),
        ("evaluations", reverse("evaluations:list")),
        ("spending report", reverse("reports:spending")),
        *[
            (f"spending report by {group}", reverse("reports:spending") + f"?group={group}")
            for group in ("organisation", "financial_year", "quarter", "round")
        ],
        ("impact report", reverse("impact:report")),
        ("project impact", reverse("impact:project", kwargs={"project_pk": project.pk})),
        ("ledger page", reverse("downloads:ledger")),
        ("board pack form", reverse("reports:board-pack")),
        ("360Giving page", reverse("publish:index")),
    ]
    council_pages = [
        ("your projects", reverse("projects:yours")),
        ("project page", reverse("projects:detail", kwargs={"project_pk": project.pk})),
        ("ledger page", reverse("downloads:ledger")),
    ]
    return [("officer", label, url) for label, url in officer_pages] + [
        (council, label, url) for label, url in council_pages
    ]


def count(client, url):
    client.get(url)  # the first request of a session does its own bookkeeping
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            generate_programme(projects=4, seed=21, password="a-long-test-password-1")
            officer = User.objects.get(username="bench-officer")
            project = Project.objects.filter(partnerships__isnull=False).order_by("pk").first()
            council = User.objects.filter(
                username__startswith="bench-gb-lae", organisation__partnerships__project=project
            ).first()
            clients = {"officer": Client(), council.username: Client()}
            clients["officer"].force_login(officer)
            clients[council.username].force_login(council)
            listed = pages(project, council.username)
            small = {(who, label): count(clients[who], url) for who, label, url in listed}
            generate_programme(projects=30, seed=22)
            large = {(who, label): count(clients[who], url) for who, label, url in listed}
            transaction.set_rollback(True)
    return small, large


@pytest.mark.django_db
def test_no_page_makes_more_queries_as_the_programme_grows(counts):
    small, large = counts
    grew = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert grew == {}


@pytest.mark.django_db
def test_no_page_makes_more_than_twenty_queries(counts):
    _, large = counts
    assert {page: n for page, n in large.items() if n > MAX_QUERIES} == {}
