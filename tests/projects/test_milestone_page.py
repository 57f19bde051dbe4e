"""The milestone page: its details, every submission with its evidence and review,
and the one form the user may use now."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grants.services import pay_milestone
from projects.models import Milestone
from projects.services import review_milestone, submit_milestone

PDF = b"%PDF-1.4\nevidence\n"


def url(milestone):
    return reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk})


@pytest.fixture
def history(world, settings, tmp_path):
    """Derbyshire's milestone: returned once, then accepted and paid."""
    settings.MEDIA_ROOT = tmp_path
    milestone = world.derbyshire_milestone
    submit_milestone(
        milestone=milestone,
        by=world.users.derbyshire,
        narrative="The unit opened in September.",
        files=[SimpleUploadedFile("opening-report.pdf", PDF)],
    )
    review_milestone(milestone=milestone, by=world.users.officer, decision="returned", reason="Add the staff list")
    submit_milestone(
        milestone=milestone,
        by=world.users.derbyshire,
        narrative="Staff list attached.",
        files=[SimpleUploadedFile("staff.pdf", PDF), SimpleUploadedFile("rota.csv", b"name,day\nA,Mon\n")],
    )
    review_milestone(milestone=milestone, by=world.users.admin, decision="accepted")
    pay_milestone(milestone=milestone, paid_on=dt.date(2016, 1, 15), by=world.users.finance)
    return world


def test_details_submissions_evidence_and_reviews(client, history):
    client.force_login(history.users.officer)
    page = client.get(url(history.derbyshire_milestone)).content.decode()
    assert "Family breakdown unit running" in page and "R1-01 Reclaiming Social Work" in page
    assert '<strong class="govuk-tag govuk-tag--green">Accepted</strong>' in page
    assert "30 September 2015" in page and "Derbyshire County Council" in page
    assert "£50,000.00" in page and "From the 2015-16 allocation of Reclaiming Social Work" in page
    assert "15 January 2016" in page  # the payment it released
    assert page.count('class="govuk-summary-card app-submission"') == 2
    newest, oldest = page.split('class="govuk-summary-card app-submission"')[1:]
    assert "Staff list attached." in newest and "staff.pdf" in newest and "rota.csv" in newest
    assert "Accepted</strong>" in newest and "Admin Tester" in newest
    assert "The unit opened in September." in oldest and "opening-report.pdf" in oldest
    assert "Returned</strong>" in oldest and "Add the staff list" in oldest and "Officer Tester" in oldest
    assert "Submitted by Derbyshire Tester" in oldest
    files = history.derbyshire_milestone.submissions.get(narrative="Staff list attached.").evidence_files.all()
    assert sorted(evidence.original_name for evidence in files) == ["rota.csv", "staff.pdf"]
    for evidence in files:
        assert reverse("projects:evidence", kwargs={"evidence_pk": evidence.pk}) in newest
    assert 'name="narrative"' not in page and 'name="decision"' not in page


def test_officers_get_an_edit_link_and_readers_do_not(client, world):
    edit = reverse("projects:milestone-edit", kwargs={"milestone_pk": world.harrow_milestone.pk})
    client.force_login(world.users.officer)
    assert f'href="{edit}"' in client.get(url(world.harrow_milestone)).content.decode()
    for persona in ("viewer", "finance", "harrow", "morninglane"):
        client.force_login(getattr(world.users, persona))
        page = client.get(url(world.harrow_milestone)).content.decode()
        assert edit not in page, persona
        assert 'name="decision"' not in page


def test_the_submit_form_is_only_for_the_delivering_organisation_while_open(client, world):
    client.force_login(world.users.harrow)
    assert 'name="narrative"' in client.get(url(world.harrow_milestone)).content.decode()
    client.force_login(world.users.morninglane)  # the lead reads Harrow's milestone but does not submit for it
    page = client.get(url(world.harrow_milestone)).content.decode()
    assert "Harrow unit recruited" in page and 'name="narrative"' not in page
    client.force_login(world.users.officer)
    assert 'name="narrative"' not in client.get(url(world.harrow_milestone)).content.decode()


def test_the_review_form_is_only_for_officers_and_only_when_submitted(client, world):
    client.force_login(world.users.officer)
    assert 'name="decision"' not in client.get(url(world.harrow_milestone)).content.decode()
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="Done")
    assert 'name="decision"' in client.get(url(world.harrow_milestone)).content.decode()
    client.force_login(world.users.harrow)
    page = client.get(url(world.harrow_milestone)).content.decode()
    assert 'name="decision"' not in page and 'name="narrative"' not in page
    assert "Waiting for review" in page


def test_an_overdue_milestone_is_marked(client, world):
    client.force_login(world.users.harrow)
    assert (
        '<strong class="govuk-tag govuk-tag--red">Overdue</strong>'
        in client.get(url(world.harrow_milestone)).content.decode()
    )


@pytest.mark.parametrize(
    "persona, milestone, status",
    [
        ("harrow", "derbyshire_milestone", 404),  # Harrow never sees Derbyshire's milestone
        ("derbyshire", "harrow_milestone", 404),
        ("kent", "harrow_milestone", 404),
        ("morninglane", "other_milestone", 404),
        ("outsider", "harrow_milestone", 404),
        ("evaluator", "harrow_milestone", 403),
        ("morninglane", "derbyshire_milestone", 200),
        ("viewer", "other_milestone", 200),
        ("finance", "other_milestone", 200),
    ],
)
def test_who_may_see_a_milestone(client, world, persona, milestone, status):
    client.force_login(getattr(world.users, persona))
    assert client.get(url(getattr(world, milestone))).status_code == status


def test_the_number_of_queries_does_not_grow_with_submissions(client, history, django_assert_max_num_queries):
    milestone = Milestone.objects.create(
        project=history.project, organisation=history.harrow, title="Busy", due_date=dt.date(2016, 1, 1)
    )
    for n in range(6):
        submit_milestone(
            milestone=milestone,
            by=history.users.harrow,
            narrative=f"Try {n}",
            files=[SimpleUploadedFile(f"f{n}.pdf", PDF), SimpleUploadedFile(f"g{n}.pdf", PDF)],
        )
        review_milestone(milestone=milestone, by=history.users.officer, decision="returned", reason=f"Again {n}")
    client.force_login(history.users.officer)
    with django_assert_max_num_queries(9):
        page = client.get(url(milestone)).content.decode()
    assert page.count('class="govuk-summary-card app-submission"') == 6
