"""A recipient submits evidence for its own milestone: a narrative and files,
each checked by its content. Bad files get a clear message and leave no trace:
no submission row and no file on disk."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import EvidenceFile, Milestone, MilestoneStatusChange, MilestoneSubmission
from projects.services import review_milestone, submit_milestone

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(milestone):
    return reverse("projects:milestone-submit", kwargs={"milestone_pk": milestone.pk})


def page_url(milestone):
    return reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk})


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def harrow(client, world, media):
    client.force_login(world.users.harrow)
    return client


def assert_nothing_written(world, media):
    assert not MilestoneSubmission.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []
    world.harrow_milestone.refresh_from_db()
    assert world.harrow_milestone.status == Milestone.Status.PLANNED


def test_the_form_accepts_several_files(harrow, world):
    page = harrow.get(page_url(world.harrow_milestone)).content.decode()
    assert f'action="{url(world.harrow_milestone)}" enctype="multipart/form-data"' in page
    assert '<input type="file" name="files" multiple class="govuk-file-upload"' in page
    assert '<label class="govuk-label" for="id_narrative">What was delivered</label>' in page
    assert "You can choose up to 10 files" in page


def test_a_recipient_submits_evidence_with_files(harrow, world, media):
    response = harrow.post(
        url(world.harrow_milestone),
        {
            "narrative": "All eight posts are filled.",
            "files": [SimpleUploadedFile("contracts.pdf", PDF), SimpleUploadedFile("Team photo.PNG", PNG)],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(world.harrow_milestone)
    submission = MilestoneSubmission.objects.get()
    assert (submission.milestone, submission.submitted_by) == (world.harrow_milestone, world.users.harrow)
    assert submission.narrative == "All eight posts are filled."
    files = list(submission.evidence_files.order_by("pk"))
    assert [(f.original_name, f.content_type, f.size_bytes) for f in files] == [
        ("contracts.pdf", "application/pdf", len(PDF)),
        ("Team_photo.PNG", "image/png", len(PNG)),
    ]
    assert len(stored_files(media)) == 2
    assert files[0].file.read() == PDF
    world.harrow_milestone.refresh_from_db()
    assert world.harrow_milestone.status == Milestone.Status.SUBMITTED
    change = MilestoneStatusChange.objects.get(milestone=world.harrow_milestone)
    assert (change.old_status, change.new_status, change.changed_by) == ("planned", "submitted", world.users.harrow)
    page = harrow.get(response["Location"]).content.decode()
    assert "Evidence for ‘Harrow unit recruited’ submitted. A programme officer will review it." in page
    assert "All eight posts are filled." in page
    assert reverse("projects:evidence", kwargs={"evidence_pk": files[0].pk}) in page
    assert f'action="{url(world.harrow_milestone)}"' not in page  # nothing more to submit


def test_files_are_optional(harrow, world, media):
    assert harrow.post(url(world.harrow_milestone), {"narrative": "Done"}).status_code == 302
    assert MilestoneSubmission.objects.get().evidence_files.count() == 0


@pytest.mark.parametrize(
    "files, message",
    [
        (
            [("report.pdf", b"This is only some text, not a PDF")],
            "The selected file report.pdf is not what its name says",
        ),
        (
            [("page.pdf", b"<html><script>alert(1)</script></html>")],
            "The selected file page.pdf is not what its name says",
        ),
        ([("empty.pdf", b"")], "The selected file empty.pdf is empty"),
        (
            [("tool.exe", b"MZ\x90\x00")],
            "The selected file must be a PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG file",
        ),
        ([("good.pdf", PDF), ("bad.png", PDF)], "The selected file bad.png is not what its name says"),
        ([(f"file{n}.pdf", PDF) for n in range(11)], "Upload no more than 10 files at once"),
    ],
)
def test_bad_files_get_a_clear_message_and_write_nothing(harrow, world, media, files, message):
    response = harrow.post(
        url(world.harrow_milestone),
        {
            "narrative": "Here it is",
            "files": [SimpleUploadedFile(name, content) for name, content in files],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#id_files">{message}' in page
    assert 'id="id_files-error"' in page and "govuk-file-upload--error" in page
    assert "Here it is" in page  # the narrative is kept for the next try
    assert_nothing_written(world, media)


def test_an_oversize_file_is_refused(harrow, world, media, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    big = PDF + b"0" * (1024 * 1024)
    response = harrow.post(
        url(world.harrow_milestone), {"narrative": "Big", "files": [SimpleUploadedFile("big.pdf", big)]}
    )
    assert "The selected file must be smaller than 1MB" in response.content.decode()
    assert_nothing_written(world, media)


@pytest.mark.parametrize(
    "narrative, message",
    [
        ("", "Describe what was delivered"),
        ("   ", "Describe what was delivered"),
        ("x" * 10001, "What was delivered must be 10,000 characters or fewer"),
    ],
)
def test_a_narrative_is_required(harrow, world, media, narrative, message):
    response = harrow.post(
        url(world.harrow_milestone), {"narrative": narrative, "files": [SimpleUploadedFile("a.pdf", PDF)]}
    )
    assert f'<a href="#id_narrative">{message}</a>' in response.content.decode()
    assert_nothing_written(world, media)


def test_a_file_already_stored_is_removed_when_the_submission_fails(harrow, world, media, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Milestone, "set_status", fail)
    with pytest.raises(RuntimeError):
        submit_milestone(
            milestone=world.harrow_milestone,
            by=world.users.harrow,
            narrative="Done",
            files=[SimpleUploadedFile("a.pdf", PDF)],
        )
    assert_nothing_written(world, media)


def test_after_a_return_the_recipient_sees_the_reason_and_submits_again(harrow, world, media):
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="First try")
    review_milestone(
        milestone=world.harrow_milestone, by=world.users.officer, decision="returned", reason="Attach the contracts"
    )
    page = harrow.get(page_url(world.harrow_milestone)).content.decode()
    banner = page[page.index('class="govuk-notification-banner"') :]
    assert "Officer Tester returned the evidence on" in banner
    assert "Attach the contracts" in banner[: banner.index("</div>\n    </div>")]
    assert "Submit the evidence again" in page
    response = harrow.post(
        url(world.harrow_milestone), {"narrative": "Second try", "files": [SimpleUploadedFile("c.pdf", PDF)]}
    )
    assert response.status_code == 302
    assert MilestoneSubmission.objects.filter(milestone=world.harrow_milestone).count() == 2
    world.harrow_milestone.refresh_from_db()
    assert world.harrow_milestone.status == Milestone.Status.SUBMITTED
    assert "Attach the contracts" in harrow.get(page_url(world.harrow_milestone)).content.decode()  # still on record


def test_a_submitted_milestone_cannot_be_submitted_again(harrow, world, media):
    submit_milestone(milestone=world.harrow_milestone, by=world.users.harrow, narrative="First")
    response = harrow.post(
        url(world.harrow_milestone), {"narrative": "Again", "files": [SimpleUploadedFile("a.pdf", PDF)]}
    )
    assert response.status_code == 200
    assert "This milestone is submitted and cannot be submitted now" in response.content.decode()
    assert MilestoneSubmission.objects.count() == 1
    assert stored_files(media) == []


def test_a_get_goes_back_to_the_milestone_page(harrow, world):
    response = harrow.get(url(world.harrow_milestone))
    assert response.status_code == 302 and response["Location"] == page_url(world.harrow_milestone)


@pytest.mark.parametrize(
    "persona, milestone, status",
    [
        ("harrow", "derbyshire_milestone", 404),  # another partner's milestone
        ("morninglane", "derbyshire_milestone", 404),  # the lead reads it, but does not submit for Derbyshire
        ("kent", "harrow_milestone", 404),
        ("outsider", "harrow_milestone", 404),
        ("officer", "harrow_milestone", 403),
        ("finance", "harrow_milestone", 403),
        ("viewer", "harrow_milestone", 403),
        ("evaluator", "harrow_milestone", 403),
    ],
)
def test_only_the_delivering_organisation_may_submit(client, world, media, persona, milestone, status):
    client.force_login(getattr(world.users, persona))
    target = getattr(world, milestone)
    response = client.post(url(target), {"narrative": "Not mine", "files": [SimpleUploadedFile("a.pdf", PDF)]})
    assert response.status_code == status
    assert not MilestoneSubmission.objects.exists()
    assert stored_files(media) == []
    target.refresh_from_db()
    assert target.status == Milestone.Status.PLANNED
