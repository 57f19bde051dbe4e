"""POST /api/v1/milestones/{id}/submissions: a council's milestone evidence as a multipart form, through
projects.services.submit_milestone, with its files checked by their content exactly as on the page. One bad file
refuses the whole submission: no row and no file on disk."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.catalogue import Kind
from notifications.models import Message
from projects.models import EvidenceFile, Milestone, MilestoneSubmission

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(milestone_id) -> str:
    return f"/api/v1/milestones/{milestone_id}/submissions"


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def derbyshire(api_client_for, media):
    return api_client_for("derbyshire", scope="read_write")


def files(*named):
    return [SimpleUploadedFile(name, content) for name, content in named]


def assert_nothing_written(world, media):
    assert not MilestoneSubmission.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []
    assert Milestone.objects.get(pk=world.derbyshire_milestone.pk).status == Milestone.Status.PLANNED


def errors_of(response) -> dict:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def test_a_council_submits_evidence_with_files(world, derbyshire, media):
    milestone = world.derbyshire_milestone

    response = derbyshire.post(
        url(milestone.pk),
        {
            "narrative": " The unit opened in September. ",
            "files": files(("minutes.pdf", PDF), ("Team photo.PNG", PNG)),
        },
    )

    assert response.status_code == 201, response.content
    submission = MilestoneSubmission.objects.get()
    body = response.json()
    assert (body["id"], body["milestone_id"], body["narrative"]) == (
        submission.pk,
        milestone.pk,
        "The unit opened in September.",
    )
    assert [(f["name"], f["content_type"], f["size_bytes"]) for f in body["evidence_files"]] == [
        ("minutes.pdf", "application/pdf", len(PDF)),
        ("Team_photo.PNG", "image/png", len(PNG)),
    ]
    assert submission.submitted_by == world.users.derbyshire
    assert sorted(path.read_bytes() for path in stored_files(media)) == sorted([PDF, PNG])
    assert Milestone.objects.get(pk=milestone.pk).status == Milestone.Status.SUBMITTED
    # The page's notice: the programme officer is told the evidence waits for review.
    told = Message.objects.get(kind=Kind.SUBMISSION_WAITING, key=f"milestone:{milestone.pk}:submitted:{submission.pk}")
    assert told.user == world.users.officer


def test_evidence_without_files_is_accepted_as_on_the_page(world, derbyshire):
    response = derbyshire.post(url(world.derbyshire_milestone.pk), {"narrative": "Delivered; evidence by post."})

    assert response.status_code == 201, response.content
    assert response.json()["evidence_files"] == []


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            ("report.pdf", b"<html><script>alert(1)</script></html>"),
            "The selected file report.pdf is not what its name says: it must really be a PDF, Word, Excel, "
            "OpenDocument, CSV, PNG or JPEG file",
        ),
        (
            ("drawing.svg", b"<svg></svg>"),
            "The selected file must be a PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG file",
        ),
        (("empty.pdf", b""), "The selected file empty.pdf is empty"),
    ],
)
def test_one_bad_file_refuses_the_submission_and_stores_nothing(world, derbyshire, media, upload, message):
    response = derbyshire.post(
        url(world.derbyshire_milestone.pk), {"narrative": "Done", "files": files(("good.pdf", PDF), upload)}
    )

    assert errors_of(response) == {"files": message}
    assert_nothing_written(world, media)
    assert not Message.objects.filter(kind=Kind.SUBMISSION_WAITING).exists()


def test_a_file_over_the_size_limit_is_refused(world, derbyshire, media, settings):
    settings.UPLOAD_MAX_BYTES = 1024

    response = derbyshire.post(
        url(world.derbyshire_milestone.pk), {"narrative": "Done", "files": files(("big.pdf", PDF + b"0" * 1024))}
    )

    assert errors_of(response) == {"files": "The selected file must be smaller than 1KB"}
    assert_nothing_written(world, media)


def test_more_than_ten_files_are_refused(world, derbyshire, media):
    many = files(*((f"page{n}.pdf", PDF) for n in range(11)))

    response = derbyshire.post(url(world.derbyshire_milestone.pk), {"narrative": "Done", "files": many})

    assert errors_of(response) == {"files": "Upload no more than 10 files at once"}
    assert_nothing_written(world, media)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"narrative": "   "}, "narrative", "Describe what was delivered"),
        ({}, "narrative", "Field required"),
        ({"narrative": "x" * 10001}, "narrative", "String should have at most 10000 characters"),
    ],
)
def test_a_narrative_is_needed(world, derbyshire, media, form, field, message):
    response = derbyshire.post(url(world.derbyshire_milestone.pk), form | {"files": files(("a.pdf", PDF))})

    assert errors_of(response) == {field: message}
    assert_nothing_written(world, media)


def test_a_nul_character_is_refused_before_the_operation(world, derbyshire, media):
    # core.middleware refuses a NUL in any form field of any request (PostgreSQL cannot hold one) before the
    # operation sees it; under /api/v1/ the refusal is a problem like every other.
    response = derbyshire.post(url(world.derbyshire_milestone.pk), {"narrative": "nul \x00"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert_nothing_written(world, media)


def test_a_milestone_waiting_for_review_cannot_be_submitted_again(world, derbyshire):
    assert derbyshire.post(url(world.derbyshire_milestone.pk), {"narrative": "First"}).status_code == 201

    response = derbyshire.post(url(world.derbyshire_milestone.pk), {"narrative": "Second"})

    assert errors_of(response) == {None: "This milestone is submitted and cannot be submitted now"}
    assert MilestoneSubmission.objects.get().narrative == "First"


@pytest.mark.parametrize("persona", ["harrow", "morninglane", "outsider", "kent"])
def test_another_organisations_milestone_is_not_found(world, api_client_for, media, persona):
    # Harrow may not see Derbyshire's milestone; the lead sees it but, as on the page, does not submit for it.
    response = api_client_for(persona, scope="read_write").post(
        url(world.derbyshire_milestone.pk), {"narrative": "Ours now", "files": files(("a.pdf", PDF))}
    )

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert_nothing_written(world, media)


@pytest.mark.parametrize("milestone_id", ["999999", "0", "abc", str(2**64)])
def test_a_milestone_that_does_not_exist_is_not_found_or_refused(derbyshire, milestone_id):
    response = derbyshire.post(url(milestone_id), {"narrative": "Done"})

    assert response.status_code in (404, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert not MilestoneSubmission.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "finance", "evaluator"])
def test_roles_that_do_not_deliver_milestones_are_refused(world, api_client_for, media, persona):
    response = api_client_for(persona, scope="read_write").post(url(world.derbyshire_milestone.pk), {"narrative": "x"})

    assert response.status_code == 403
    assert_nothing_written(world, media)


def test_a_read_only_token_is_refused(world, api_client_for, media):
    response = api_client_for("derbyshire").post(url(world.derbyshire_milestone.pk), {"narrative": "x"})

    assert response.status_code == 403
    assert_nothing_written(world, media)
