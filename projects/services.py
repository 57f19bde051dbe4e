"""The milestone workflow: a recipient submits evidence, an officer accepts it or
returns it with a reason, and the recipient may submit again."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from projects.models import EvidenceFile, Milestone, MilestoneReview, MilestoneSubmission
from core.uploads import check_upload

MAX_FILES_PER_SUBMISSION = 10


def submit_milestone(*, milestone: Milestone, by, narrative: str, files=()) -> MilestoneSubmission:
    """Record a submission with its evidence files and mark the milestone submitted.

    Every file is checked before anything is written, so one bad file leaves no trace.
    """
    if not (by.is_recipient and by.organisation_id == milestone.organisation_id):
        raise PermissionDenied("Only the organisation that delivers this milestone can submit evidence for it")
    narrative = (narrative or "").strip()
    if not narrative:
        raise ValidationError({"narrative": "Describe what was delivered"})
    files = list(files)
    if len(files) > MAX_FILES_PER_SUBMISSION:
        raise ValidationError({"files": f"Upload no more than {MAX_FILES_PER_SUBMISSION} files at once"})
    checked = []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload)))
        except ValidationError as error:
            raise ValidationError({"files": error.messages}) from None
    stored = []
    try:
        with transaction.atomic():
            locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
            if locked.status not in (Milestone.Status.PLANNED, Milestone.Status.RETURNED):
                raise ValidationError(
                    f"This milestone is {locked.get_status_display().lower()} and cannot be submitted now"
                )
            submission = MilestoneSubmission.objects.create(milestone=locked, narrative=narrative, submitted_by=by)
            for upload, facts in checked:
                evidence = EvidenceFile(
                    submission=submission,
                    original_name=facts.name,
                    content_type=facts.content_type,
                    size_bytes=facts.size,
                    sha256=facts.sha256,
                )
                evidence.file.save(facts.name, upload, save=False)
                stored.append(evidence.file)
                evidence.save()
            locked.set_status(Milestone.Status.SUBMITTED, by=by)
    except BaseException:
        # The rows were rolled back; files already written would be left with no row
        # pointing at them, so they go too.
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    milestone.status = locked.status
    return submission


def review_milestone(*, milestone: Milestone, by, decision: str, reason: str = "") -> MilestoneReview:
    """Accept the latest submission, or return it with a reason."""
    if not by.is_officer:
        raise PermissionDenied("Only a programme officer can review a milestone")
    reason = (reason or "").strip()
    if decision not in MilestoneReview.Decision.values:
        raise ValidationError({"decision": "Choose whether to accept or return the submission"})
    if decision == MilestoneReview.Decision.RETURNED and not reason:
        raise ValidationError({"reason": "Say why the submission is returned"})
    with transaction.atomic():
        locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if locked.status != Milestone.Status.SUBMITTED:
            raise ValidationError("This milestone has no submission waiting for review")
        submission = locked.submissions.filter(review__isnull=True).order_by("-submitted_at", "-pk").first()
        if submission is None:
            raise ValidationError("This milestone has no submission waiting for review")
        review = MilestoneReview.objects.create(submission=submission, decision=decision, reason=reason, reviewed_by=by)
        locked.set_status(decision, by=by, reason=reason)
    milestone.status = locked.status
    return review
