from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from core.admin import (
    AuditHistoryAdmin,
    ReadOnlyInline,
    StatefulAdmin,
    StatusHistoryInline,
    ViewOnlyAdmin,
    status_actions,
)
from projects.models import (
    EvidenceFile,
    Milestone,
    MilestoneReview,
    MilestoneStatusChange,
    MilestoneSubmission,
    Project,
    ProjectPartner,
    ProjectStatusChange,
    Theme,
)


@admin.register(Theme)
class ThemeAdmin(AuditHistoryAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)


def _partnership_stays(partner) -> str:
    return (
        f"{partner.organisation} stays a partner of {partner.project.reference}: it has a share of the "
        "project's grants or milestones to deliver, and would no longer see them"
    )


class PartnershipsThatHoldRecordsStay(BaseInlineFormSet):
    def clean(self):
        super().clean()
        held = [form.instance for form in self.deleted_forms if form.instance.pk and form.instance.holds_a_record()]
        if held:
            raise ValidationError([_partnership_stays(partner) for partner in held])


class ProjectPartnerInline(admin.TabularInline):
    model = ProjectPartner
    formset = PartnershipsThatHoldRecordsStay
    extra = 0
    fields = ("organisation", "role", "joined_on")
    autocomplete_fields = ("organisation",)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("title", "organisation", "due_date", "status", "payment_amount", "allocation", "illustrative")
    readonly_fields = ("status",)
    autocomplete_fields = ("organisation", "allocation")


class ProjectStatusChangeInline(StatusHistoryInline):
    model = ProjectStatusChange


@admin.register(Project)
class ProjectAdmin(AuditHistoryAdmin, StatefulAdmin):
    list_display = ("reference", "title", "programme", "lead_organisation", "status", "rag", "start_date", "end_date")
    list_filter = ("status", "rag", ("programme", admin.RelatedOnlyFieldListFilter), "themes")
    list_select_related = ("programme", "lead_organisation")
    search_fields = ("reference", "title", "lead_organisation__name", "partners__name")
    autocomplete_fields = ("programme", "lead_organisation")
    filter_horizontal = ("themes",)
    readonly_fields = ("status", "rag_updated_at")
    inlines = [ProjectPartnerInline, MilestoneInline, ProjectStatusChangeInline]
    actions = status_actions(Project)

    def save_model(self, request, obj, form, change):
        if {"rag", "rag_reason"} & set(form.changed_data):
            obj.rag_updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Milestone:
            for milestone in formset.new_objects:
                milestone.record_initial_status(by=request.user)


@admin.register(ProjectPartner)
class ProjectPartnerAdmin(AuditHistoryAdmin):
    list_display = ("organisation", "project", "role", "joined_on")
    list_filter = ("role",)
    list_select_related = ("organisation", "project")
    search_fields = ("organisation__name", "project__reference", "project__title")
    autocomplete_fields = ("project", "organisation")

    # A partner added by mistake may go; one with money or milestones on the project stays.
    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.holds_a_record())

    def get_deleted_objects(self, objs, request):
        # The bulk delete action asks this, not has_delete_permission, for each row: a "protected"
        # row makes the action show why nothing is deleted.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        held = [_partnership_stays(partner) for partner in objs if partner.holds_a_record()]
        if held:  # say why, rather than only that the permission is missing
            perms_needed = perms_needed - {str(self.model._meta.verbose_name)}
        return deleted, counts, perms_needed, [*protected, *held]


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Milestone.objects.overdue().values("pk"))
        return queryset


class MilestoneSubmissionInline(ReadOnlyInline):
    model = MilestoneSubmission
    fields = ("submitted_at", "submitted_by", "narrative")
    readonly_fields = fields
    related = ("submitted_by",)


class MilestoneStatusChangeInline(StatusHistoryInline):
    model = MilestoneStatusChange


@admin.register(Milestone)
class MilestoneAdmin(AuditHistoryAdmin, StatefulAdmin):
    """No status actions here: a milestone moves only by a submission or a review
    (projects.services), so every move has its evidence or decision on record and the
    person who accepted it can be told apart from the person who pays it."""

    list_display = (
        "title",
        "project",
        "organisation",
        "due_date",
        "status",
        "overdue",
        "payment_amount",
        "illustrative",
    )
    list_filter = (
        "status",
        "illustrative",
        OverdueFilter,
        ("project", admin.RelatedOnlyFieldListFilter),
        ("organisation", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("project", "organisation")
    search_fields = ("title", "project__reference", "project__title", "organisation__name")
    autocomplete_fields = ("project", "organisation", "allocation")
    readonly_fields = ("status",)
    date_hierarchy = "due_date"
    inlines = [MilestoneSubmissionInline, MilestoneStatusChangeInline]

    @admin.display(boolean=True)
    def overdue(self, obj):
        return obj.is_overdue()


class EvidenceFileInline(ReadOnlyInline):
    model = EvidenceFile
    # The stored file is private and its storage's address is never shown, so only its details are.
    fields = ("original_name", "content_type", "size_bytes", "sha256", "uploaded_at")
    readonly_fields = fields
    show_change_link = False


# Submissions, reviews and evidence are made by the milestone workflow (projects.services),
# which checks who acts, checks the files and moves the milestone.
@admin.register(MilestoneSubmission)
class MilestoneSubmissionAdmin(ViewOnlyAdmin):
    list_display = ("milestone", "project", "submitted_by", "submitted_at", "decision")
    list_filter = ("review__decision",)
    list_select_related = ("milestone__project", "submitted_by", "review")
    search_fields = ("milestone__title", "milestone__project__reference", "narrative")
    fields = ("milestone", "narrative", "submitted_by", "submitted_at")
    inlines = [EvidenceFileInline]

    @admin.display(ordering="milestone__project__reference")
    def project(self, obj):
        return obj.milestone.project

    @admin.display(ordering="review__decision")
    def decision(self, obj):
        review = getattr(obj, "review", None)
        return review.get_decision_display() if review else "Waiting for review"


@admin.register(MilestoneReview)
class MilestoneReviewAdmin(ViewOnlyAdmin):
    list_display = ("submission", "decision", "reviewed_by", "reviewed_at")
    list_filter = ("decision",)
    list_select_related = ("submission__milestone", "reviewed_by")
    search_fields = ("submission__milestone__title", "reason")


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ViewOnlyAdmin):
    list_display = ("original_name", "submission", "content_type", "size_bytes", "uploaded_at")
    list_filter = ("content_type",)
    list_select_related = ("submission__milestone",)
    search_fields = ("original_name", "sha256", "submission__milestone__title")
    fields = ("submission", "original_name", "content_type", "size_bytes", "sha256", "uploaded_at")
