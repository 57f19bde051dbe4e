"""The work: projects, who takes part, and the milestones that release money."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.lifecycle import Stateful, StatusChange
from grants import money as figures
from grants.models import ILLUSTRATIVE_HELP, Allocation, Grant, Organisation, Payment, Programme, money


class Theme(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user):
        """Funder staff and viewers see every project; a recipient the projects its
        organisation leads or partners; an evaluator those of its evaluations."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_whole_programme:
            return self
        if user.is_recipient:
            org = user.organisation_id
            partnered = ProjectPartner.objects.filter(organisation=org).values("project")
            return self.filter(Q(lead_organisation=org) | Q(pk__in=partnered))
        if user.is_evaluator:
            # Those of the evaluations it carries out, and of those it reviews (rates the evidence of).
            evaluated = Q(evaluation__evaluators=user) | Q(evaluation__reviewers=user)
            return self.filter(pk__in=Project.evaluations.through.objects.filter(evaluated).values("project"))
        return self.none()

    def with_awarded(self):
        """Each project with the sum of its grants' awards (``awarded_total``, in SQL) and whether an invented
        award is among them (``awarded_illustrative``)."""
        grants = Grant.objects.filter(project=OuterRef("pk")).order_by()
        awarded = grants.values("project").annotate(total=Sum("amount_awarded")).values("total")
        return self.annotate(
            awarded_total=Coalesce(Subquery(awarded, output_field=figures.MONEY), figures.ZERO_VALUE),
            awarded_illustrative=Exists(grants.filter(illustrative=True)),
        )


class Project(Stateful):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        CLOSING = "closing", "Closing"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Rag(models.TextChoices):
        RED = "red", "Red"
        AMBER = "amber", "Amber"
        GREEN = "green", "Green"

    TRANSITIONS = {
        Status.PROPOSED: (Status.ACTIVE, Status.WITHDRAWN),
        Status.ACTIVE: (Status.CLOSING, Status.WITHDRAWN),
        Status.CLOSING: (Status.CLOSED, Status.ACTIVE),
    }

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="projects")
    reference = models.CharField(max_length=30, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    lead_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="led_projects")
    partners = models.ManyToManyField(
        Organisation, through="ProjectPartner", related_name="partner_projects", blank=True
    )
    themes = models.ManyToManyField(Theme, related_name="projects", blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    rag = models.CharField("RAG rating", max_length=5, choices=Rag.choices, blank=True)
    rag_reason = models.TextField("reason for the RAG rating", blank=True)
    rag_updated_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="project_dates_in_order"),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "active", "closing", "closed", "withdrawn"]),
                name="project_status_valid",
            ),
            models.CheckConstraint(condition=Q(rag__in=["", "red", "amber", "green"]), name="project_rag_valid"),
            models.CheckConstraint(
                condition=Q(rag="") | ~Q(rag_reason=""),
                name="project_rag_has_reason",
                violation_error_message="A RAG rating needs a reason.",
            ),
        ]

    def __str__(self):
        return self.title

    def is_led_by(self, user) -> bool:
        return user.is_recipient and user.organisation_id == self.lead_organisation_id


class ProjectStatusChange(StatusChange):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="status_changes")


class ProjectPartner(models.Model):
    """An organisation other than the lead that takes part in a project."""

    class Role(models.TextChoices):
        PARTNER_AUTHORITY = "partner_authority", "Partner authority"
        DELIVERY_PARTNER = "delivery_partner", "Delivery partner"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="partnerships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="partnerships")
    role = models.CharField(max_length=20, choices=Role.choices)
    joined_on = models.DateField(null=True, blank=True)

    # A partnership decides what a partner sees, so its changes and its removal are kept.
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "organisation"], name="project_partner_once"),
            models.CheckConstraint(
                condition=Q(role__in=["partner_authority", "delivery_partner"]), name="project_partner_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_role_display()})"

    def holds_a_record(self) -> bool:
        """Whether the partner has a share of the project's grants or milestones to deliver. Then the
        partnership is what lets the partner see its money and milestones, and it stays: nothing
        in the database protects it, since neither points at the partnership itself."""
        return (
            Allocation.objects.filter(grant__project=self.project_id, recipient=self.organisation_id).exists()
            or Milestone.objects.filter(project=self.project_id, organisation=self.organisation_id).exists()
        )


class MilestoneQuerySet(models.QuerySet):
    def for_user(self, user):
        """A lead sees every milestone of its projects; a partner only its own."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_whole_programme:
            return self
        if user.is_recipient:
            org = user.organisation_id
            return self.filter(Q(project__lead_organisation=org) | Q(organisation=org))
        return self.none()

    def submittable_by(self, user):
        """Milestones this user delivers evidence for: its own organisation's."""
        if not user.is_authenticated or not user.is_recipient:
            return self.none()
        return self.filter(organisation=user.organisation_id)

    def payable(self):
        """Those whose payment can be made now: its allocation's headroom holds it (the milestone's own
        commitment is part of what is committed, so a headroom of £0 or more does) and neither the
        project nor the grant is closed or withdrawn."""
        headroom = figures.balance_annotations("allocation__")["headroom"]
        return (
            self.annotate(_headroom=headroom)
            .filter(_headroom__gte=0)
            .exclude(project__status__in=["closed", "withdrawn"])
            .exclude(allocation__grant__status__in=["closed", "withdrawn"])
        )

    def waiting_for_payment(self):
        """Accepted milestones whose payment has not been made and can be now (``payable``): the payments
        waiting page's rows, finance's count on their home page, and what finance officers are reminded of."""
        paid = Payment.objects.filter(milestone=OuterRef("pk"), kind=Payment.Kind.PAYMENT)
        return self.filter(~Exists(paid), status=Milestone.Status.ACCEPTED, payment_amount__isnull=False).payable()

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status__in=Milestone.OPEN_STATUSES, due_date__lt=today)

    def due_within(self, days: int, today=None):
        today = today or timezone.localdate()
        return self.filter(
            status__in=Milestone.OPEN_STATUSES, due_date__gte=today, due_date__lte=today + timezone.timedelta(days=days)
        )


class Milestone(Stateful):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        RETURNED = "returned", "Returned"

    TRANSITIONS = {
        Status.PLANNED: (Status.SUBMITTED,),
        Status.SUBMITTED: (Status.ACCEPTED, Status.RETURNED),
        Status.RETURNED: (Status.SUBMITTED,),
    }
    # Statuses in which the recipient still owes the funder something.
    OPEN_STATUSES = (Status.PLANNED, Status.RETURNED)

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="milestones")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="milestones", help_text="Who must deliver it."
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    payment_amount = money(null=True, blank=True, help_text="The payment its acceptance releases, if any.")
    allocation = models.ForeignKey(
        Allocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="milestones",
        help_text="The allocation the payment is drawn from.",
    )
    illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)

    objects = MilestoneQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]
        # Overdue and due-soon milestones (dashboard, board pack): chosen from EXPLAIN at
        # 20,000 milestones, where it turns a sequential scan of 9.8 ms into 0.1 ms.
        indexes = [
            models.Index(
                fields=["due_date", "id"], condition=Q(status__in=["planned", "returned"]), name="milestone_open_due"
            ),
            # Milestones waiting for a review (the dashboard's list and its count): a few of every milestone,
            # read without scanning the rest.
            models.Index(fields=["id"], condition=Q(status="submitted"), name="milestone_submitted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["planned", "submitted", "accepted", "returned"]), name="milestone_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(payment_amount__isnull=True) | Q(payment_amount__gt=0),
                name="milestone_payment_positive",
            ),
            models.CheckConstraint(
                condition=Q(payment_amount__isnull=True, allocation__isnull=True)
                | Q(payment_amount__isnull=False, allocation__isnull=False),
                name="milestone_payment_needs_allocation",
                violation_error_message="A milestone payment must name the allocation it is drawn from.",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.allocation_id and self.organisation_id and self.project_id:
            allocation = self.allocation
            if allocation.recipient_id != self.organisation_id:
                raise ValidationError(
                    {"allocation": "The payment must come from an allocation to the organisation that delivers it"}
                )
            if allocation.grant.project_id != self.project_id:
                raise ValidationError({"allocation": "The payment must come from an allocation of this project"})

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status in self.OPEN_STATUSES and self.due_date < today


class MilestoneStatusChange(StatusChange):
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="status_changes")


class ThroughMilestoneQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(milestone__in=Milestone.objects.for_user(user))


class MilestoneSubmission(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="submissions")
    narrative = models.TextField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = ThroughMilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["milestone", "submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(narrative=""), name="submission_has_narrative"),
        ]

    def __str__(self):
        return f"{self.milestone} submitted {self.submitted_at:%d %b %Y}"


def evidence_path(instance, filename):
    # The stored name is random; the name the user gave is kept in the row only.
    return f"evidence/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:8]}"


class EvidenceFileQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(submission__in=MilestoneSubmission.objects.for_user(user))


class EvidenceFile(models.Model):
    submission = models.ForeignKey(MilestoneSubmission, on_delete=models.PROTECT, related_name="evidence_files")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = EvidenceFileQuerySet.as_manager()

    class Meta:
        ordering = ["submission", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="evidence_file_not_empty"),
        ]

    def __str__(self):
        return self.original_name


class MilestoneReview(models.Model):
    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        RETURNED = "returned", "Returned"

    submission = models.OneToOneField(MilestoneSubmission, on_delete=models.PROTECT, related_name="review")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reviewed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=["accepted", "returned"]), name="review_decision_valid"),
            models.CheckConstraint(
                condition=Q(decision="accepted") | ~Q(reason=""),
                name="returned_review_has_reason",
                violation_error_message="Say why the submission is returned.",
            ),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} by {self.reviewed_by} on {self.reviewed_at:%d %b %Y}"
