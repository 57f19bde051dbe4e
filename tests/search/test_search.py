"""Search (issue 20): each kind found by name, only within what the searcher may see, and every link it
gives opens for the searcher. Run on SQLite (icontains) and on PostgreSQL (full-text search)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Milestone
from reports.search import MAX_LENGTH, PER_KIND, BadQuery, clean_query
from tests.test_permissions import PERSONAS, client_for, money_and_decisions, scoped  # noqa: F401 (a fixture)

SIGNED_IN = [persona for persona in PERSONAS if persona != "anonymous"]
# Words that between them name something of every kind on both sides of the personas' world.
BROAD = ["Reclaiming", "Kent", "hubs", "Family", "Council", "evidence", "Interim", "R1", "Derbyshire", "unit"]


def found(client, query):
    """What a search shows: {kind: [(title, url), ...]}, after checking it answered 200."""
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return {group.slug: [(hit.title, hit.url) for hit in group.hits] for group in response.context["results"]}


def titles(client, query, kind):
    return [title for title, _ in found(client, query)[kind]]


def test_an_officer_finds_each_kind_by_name(client, world, scoped):
    client = client_for(client, world, "officer")
    assert titles(client, "Reclaiming", "projects") == ["R1-01 Reclaiming Social Work"]
    assert titles(client, "R1-02", "projects") == ["R1-02 Kent family hubs"]  # a reference, as typed
    assert titles(client, "Family breakdown unit", "milestones") == ["Family breakdown unit running"]
    assert titles(client, "Hubs open", "milestones") == ["Hubs open"]
    assert titles(client, "Derbyshire", "organisations") == ["Derbyshire County Council"]
    assert titles(client, "GB-LAE-HRW", "organisations") == ["London Borough of Harrow"]  # its org-id
    assert titles(client, "Kent family hubs", "grants") == ["Kent family hubs"]
    assert titles(client, "evidence.pdf", "evidence") == ["evidence.pdf", "evidence.pdf"]  # both councils'
    assert titles(client, "Interim report", "reports") == ["Interim report", "Interim report"]


def test_a_grants_award_reference_finds_it(client, world):
    world.grant.ggis_award_reference = "G2-SCH-2015-0042"
    world.grant.save()
    client = client_for(client, world, "viewer")
    assert found(client, "G2-SCH-2015-0042")["grants"] == [("Reclaiming Social Work", f"/grants/{world.grant.pk}/")]


def test_a_partner_council_never_finds_another_councils_milestone_or_evidence(client, world, scoped):
    harrow = client_for(client, world, "harrow")
    # Derbyshire's milestone and evidence, on the project Harrow is a partner in too.
    assert titles(harrow, "Family breakdown unit", "milestones") == []
    assert titles(harrow, "evidence.pdf", "evidence") == []
    response = harrow.get("/search/", {"q": "Family breakdown unit"})
    assert b"Family breakdown unit running" not in response.content
    # Its own milestone, and the shared project's summary, grant and partners, it does find.
    assert titles(harrow, "Harrow unit", "milestones") == ["Harrow unit recruited"]
    assert titles(harrow, "Reclaiming", "projects") == ["R1-01 Reclaiming Social Work"]
    assert titles(harrow, "Reclaiming", "grants") == ["Reclaiming Social Work"]
    assert titles(harrow, "Derbyshire", "organisations") == ["Derbyshire County Council"]
    # Kent's project, grant, milestone, evidence and report, and Kent itself, are not Harrow's to find.
    kent_words = found(harrow, "Kent")
    assert all(hits == [] for hits in kent_words.values()), kent_words
    assert titles(harrow, "Hubs open", "milestones") == []


def test_the_council_that_owns_the_evidence_finds_it_and_the_lead_finds_every_partners(client, world, scoped):
    derbyshire = client_for(client, world, "derbyshire")
    milestone = world.derbyshire_milestone
    assert found(derbyshire, "evidence.pdf")["evidence"] == [("evidence.pdf", f"/projects/milestones/{milestone.pk}/")]
    assert titles(derbyshire, "Family breakdown unit", "milestones") == ["Family breakdown unit running"]
    assert titles(derbyshire, "Harrow unit", "milestones") == []
    lead = client_for(client, world, "morninglane")
    assert titles(lead, "unit", "milestones") == ["Family breakdown unit running", "Harrow unit recruited"]
    assert titles(lead, "Hubs open", "milestones") == []


def test_an_outside_council_finds_only_itself(client, world, scoped):
    outsider = client_for(client, world, "outsider")
    for query in BROAD:
        hits = found(outsider, query)
        assert hits.pop("organisations") in ([], [("Surrey County Council", None)]), query
        assert all(kind == [] for kind in hits.values()), query
    assert titles(outsider, "Surrey", "organisations") == ["Surrey County Council"]


def test_an_evaluator_finds_only_its_evaluations_projects_and_reports(client, world, scoped):
    evaluator = client_for(client, world, "evaluator")
    assert titles(evaluator, "R1", "projects") == ["R1-01 Reclaiming Social Work"]
    assert titles(evaluator, "hubs", "projects") == []
    assert found(evaluator, "Interim report")["reports"] == [("Interim report", f"/evaluations/{world.evaluation.pk}/")]
    # No milestones or evidence (an evaluator reads neither), and a grant leads to its project's page.
    assert titles(evaluator, "unit", "milestones") == []
    assert titles(evaluator, "evidence.pdf", "evidence") == []
    assert found(evaluator, "Reclaiming")["grants"] == [("Reclaiming Social Work", f"/projects/{world.project.pk}/")]


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_link_a_search_gives_opens_for_the_searcher(client, world, scoped, persona):
    client = client_for(client, world, persona)
    links = {url for query in BROAD for hits in found(client, query).values() for _, url in hits if url}
    if persona != "outsider":
        assert links, "the broad words find something for everyone who takes part"
    wrong = {url: client.get(url).status_code for url in links}
    assert {url: status for url, status in wrong.items() if status != 200} == {}


def test_the_signed_out_are_sent_to_sign_in(client, world):
    response = client.get("/search/", {"q": "Reclaiming"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/")
    assert b'id="header-search"' not in client.get("/help/").content


def test_the_header_holds_a_labelled_search_box_that_keeps_the_query(client, world):
    client = client_for(client, world, "derbyshire")
    page = client.get("/projects/yours/").content.decode()
    assert '<label class="govuk-visually-hidden" for="header-search-q">' in page
    assert 'action="/search/"' in page
    results = client.get("/search/", {"q": "  Reclaiming   social "}).content.decode()
    assert 'id="header-search-q" name="q" type="search" value="Reclaiming social"' in results


@pytest.mark.parametrize(
    "query",
    [
        '"Reclaiming',
        "Reclaiming & Kent",
        "Reclaiming | Kent",
        "!Reclaiming",
        "Recl:*",
        "-Kent OR 'hubs'",
        "' OR 1=1; DROP TABLE projects_project; --",
        "%_\\",
        "Ærø Straße 東京 🙂",
        "x" * MAX_LENGTH,
        "<script>alert(1)</script>",
    ],
)
def test_odd_queries_are_searched_and_change_nothing(client, world, scoped, query):
    client = client_for(client, world, "officer")
    before = money_and_decisions()
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert response.context["error"] == ""
    assert len(response.context["results"]) == 6
    assert b"<script>alert(1)</script>" not in response.content
    assert money_and_decisions() == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "A name, a reference such as R1-01, or a few words from them"),
        ("   ", "A name, a reference such as R1-01, or a few words from them"),
        ("?!&|:*", "Search for letters or numbers"),
        ("x" * (MAX_LENGTH + 1), f"Search for {MAX_LENGTH} characters or fewer"),
    ],
)
def test_an_empty_or_bad_query_shows_the_form_with_a_message(client, world, query, message):
    client = client_for(client, world, "officer")
    before = money_and_decisions()
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert response.context["results"] is None
    assert message in response.content.decode()
    assert ("There is a problem" in response.content.decode()) == bool(query.strip())
    assert money_and_decisions() == before


def test_clean_query_gathers_spaces_and_refuses_what_names_nothing():
    assert clean_query("  R1-01 \t unit ") == "R1-01 unit"
    assert clean_query("") == ""
    for bad in ("...", "x" * (MAX_LENGTH + 1)):
        with pytest.raises(BadQuery):
            clean_query(bad)


def _milestones(world, count):
    Milestone.objects.bulk_create(
        Milestone(
            project=world.project,
            organisation=world.derbyshire,
            title=f"Quarterly narrative {number}",
            due_date=dt.date(2016, 1, 1) + dt.timedelta(days=number),
        )
        for number in range(count)
    )


def test_the_page_costs_the_same_queries_for_2_matches_as_for_25_and_shows_20(client, world, django_assert_num_queries):
    client = client_for(client, world, "officer")
    client.get("/search/", {"q": "warm up"})  # the session and the user, read once per request like any page
    _milestones(world, 2)
    with CaptureQueriesContext(connection) as few:
        assert len(found(client, "Quarterly narrative")["milestones"]) == 2
    _milestones(world, 23)
    with django_assert_num_queries(len(few)):
        response = client.get("/search/", {"q": "Quarterly narrative"})
    milestones = next(group for group in response.context["results"] if group.slug == "milestones")
    assert (len(milestones.hits), milestones.count, milestones.more) == (PER_KIND, 25, 5)
    assert "and 5 more" in response.content.decode()
