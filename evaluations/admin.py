from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from core.admin import (
    HTTPS_URLS,
    AuditHistoryAdmin,
    StatefulAdmin,
    StatusHistoryInline,
    Undeletable,
    status_actions,
)
from core.uploads import check_upload
from evaluations.models import (
    Evaluation,
    EvaluationReport,
    EvaluationStatusChange,
    EvidenceRating,
    OutcomeArea,
    OutcomeMeasure,
    OutcomeResult,
)

REPORT_FIELDS = ("title", "kind", "published_on", "url", "file")
REPORT_DETAILS = ("original_name", "content_type", "size_bytes", "uploaded_by", "uploaded_at")


class EvaluationReportForm(forms.ModelForm):
    """An uploaded report is checked by its content like any other upload. A plain file
    input: the stored file is private, so there is no address to link to."""

    class Meta:
        model = EvaluationReport
        fields = ("file",)  # the admin adds the rest
        widgets = {"file": forms.FileInput}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            facts = check_upload(upload)
            self.instance.original_name = facts.name
            self.instance.content_type = facts.content_type
            self.instance.size_bytes = facts.size
        return upload


class EvidenceRatingForm(forms.ModelForm):
    """Who rated is whoever saves the rating here, set before the model's clean() checks that
    they are not one of the evaluation's own evaluators. ``rater`` is set on the form class the
    admin makes for each request."""

    rater = None

    def clean(self):
        data = super().clean()
        if self.rater is not None and self.has_changed():
            self.instance.rated_by = self.rater
            self.instance.rated_at = timezone.now()
        return data


class OutcomeMeasureInline(admin.TabularInline):
    model = OutcomeMeasure
    extra = 0
    can_delete = False
    fields = ("name", "unit", "direction", "is_count", "description")


@admin.register(OutcomeArea)
class OutcomeAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)
    inlines = [OutcomeMeasureInline]


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(admin.ModelAdmin):
    list_display = ("name", "outcome_area", "unit", "direction", "is_count")
    list_filter = ("unit", "direction", "is_count", "outcome_area")
    list_select_related = ("outcome_area",)
    search_fields = ("name", "description", "outcome_area__name")
    autocomplete_fields = ("outcome_area",)


class EvaluationReportInline(admin.StackedInline):
    model = EvaluationReport
    form = EvaluationReportForm
    formfield_overrides = HTTPS_URLS
    extra = 0
    fields = REPORT_FIELDS + REPORT_DETAILS
    readonly_fields = REPORT_DETAILS
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


class EvidenceRatingInline(admin.TabularInline):
    model = EvidenceRating
    form = EvidenceRatingForm
    extra = 0
    can_delete = False
    fields = ("scale", "value", "rationale", "rated_by", "rated_at")
    readonly_fields = ("rated_by", "rated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rated_by")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.rater = request.user
        return formset


class OutcomeResultInline(admin.StackedInline):
    model = OutcomeResult
    extra = 0
    can_delete = False
    show_change_link = True
    autocomplete_fields = ("measure", "authority", "source_report")
    readonly_fields = ("recorded_by", "updated_at")


# Who uploaded or recorded is whoever saved it in the admin, never typed in (who rated: EvidenceRatingForm).
RECORDED_BY = {EvaluationReport: "uploaded_by", OutcomeResult: "recorded_by"}


class EvaluationStatusChangeInline(StatusHistoryInline):
    model = EvaluationStatusChange


@admin.register(Evaluation)
class EvaluationAdmin(AuditHistoryAdmin, StatefulAdmin):
    list_display = ("title", "evaluator_organisation", "design", "status", "start_date", "end_date")
    list_filter = ("design", "status", ("evaluator_organisation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("evaluator_organisation",)
    search_fields = ("title", "summary", "evaluator_organisation__name")
    autocomplete_fields = ("evaluator_organisation", "projects", "evaluators", "reviewers")
    readonly_fields = ("status",)
    inlines = [EvaluationReportInline, EvidenceRatingInline, OutcomeResultInline, EvaluationStatusChangeInline]
    actions = status_actions(Evaluation)

    def save_formset(self, request, form, formset, change):
        field = RECORDED_BY.get(formset.model)
        for obj in formset.save(commit=False):
            if field and getattr(obj, f"{field}_id") is None:
                setattr(obj, field, request.user)
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class RecordsWhoAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        field = RECORDED_BY[type(obj)]
        if getattr(obj, f"{field}_id") is None:
            setattr(obj, field, request.user)
        super().save_model(request, obj, form, change)


@admin.register(EvaluationReport)
class EvaluationReportAdmin(RecordsWhoAdmin):
    form = EvaluationReportForm
    formfield_overrides = HTTPS_URLS
    list_display = ("title", "evaluation", "kind", "published_on", "original_name", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    list_select_related = ("evaluation", "uploaded_by")
    search_fields = ("title", "evaluation__title", "original_name")
    autocomplete_fields = ("evaluation",)
    fields = ("evaluation",) + REPORT_FIELDS + REPORT_DETAILS
    readonly_fields = REPORT_DETAILS


@admin.register(EvidenceRating)
class EvidenceRatingAdmin(Undeletable, AuditHistoryAdmin):
    form = EvidenceRatingForm
    list_display = ("evaluation", "scale", "value_label", "rated_by", "rated_at")
    list_filter = ("scale",)
    list_select_related = ("evaluation", "rated_by")
    search_fields = ("evaluation__title", "rationale")
    autocomplete_fields = ("evaluation",)
    readonly_fields = ("rated_by", "rated_at")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.rater = request.user
        return form

    @admin.display(description="value", ordering="value")
    def value_label(self, obj):
        return obj.value_label


@admin.register(OutcomeResult)
class OutcomeResultAdmin(Undeletable, AuditHistoryAdmin, RecordsWhoAdmin):
    list_display = (
        "measure",
        "evaluation",
        "authority",
        "comparison_group",
        "baseline_value",
        "target_value",
        "followup_value",
        "effect_size",
        "significance",
        "illustrative",
    )
    list_filter = (
        "significance",
        "illustrative",
        "measure__outcome_area",
        ("evaluation", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("measure", "evaluation", "authority")
    search_fields = ("measure__name", "evaluation__title", "authority__name", "comparison_group", "source_location")
    autocomplete_fields = ("evaluation", "measure", "authority", "source_report")
    readonly_fields = ("recorded_by", "updated_at")
