"""The admin: a back office for support staff, held to the same rules as every other path.

- Nothing that carries money or a decision is deleted here (DESIGN.md: a correction is an
  audited edit or a reversing row), so those admins refuse the delete permission.
- A status moves only through ``set_status``, which checks the move and writes the history.
- Grants, allocations and payments are saved by ``grants.services``, the one place the money
  rules are checked under row locks, exactly as a form or an import would. Rows that a
  workflow makes (spend returns, milestone submissions and reviews, evidence files) are
  only shown; a spend return is reviewed through its service.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.admin import (
    HTTPS_URLS,
    AuditHistoryAdmin,
    ReadOnlyInline,
    StatusHistoryInline,
    ThroughServiceAdmin,
    Undeletable,
    ViewOnlyAdmin,
    status_actions,
)
from grants import services
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
    Round,
    Source,
    SpendReturn,
    Variation,
)
from grants.spend_returns import review_spend_return


class CurrentFilter(admin.SimpleListFilter):
    title = "current or ended"
    parameter_name = "ended"

    def lookups(self, request, model_admin):
        return [("no", "Current"), ("yes", "Ended")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.filter(valid_to__lt=today)
        if self.value() == "no":
            return queryset.exclude(valid_to__lt=today)
        return queryset


@admin.register(Source)
class SourceAdmin(Undeletable, admin.ModelAdmin):
    list_display = ("title", "publisher", "published_on", "url")
    search_fields = ("title", "publisher")


@admin.register(Organisation)
class OrganisationAdmin(AuditHistoryAdmin, Undeletable, admin.ModelAdmin):
    list_display = (
        "name",
        "short_name",
        "kind",
        "org_id",
        "gss_code",
        "authority_type",
        "dfe_la_number",
        "valid_from",
        "valid_to",
    )
    list_filter = ("kind", "authority_type", CurrentFilter)
    search_fields = ("name", "short_name", "org_id", "gss_code")
    autocomplete_fields = ("replaced_by",)
    formfield_overrides = HTTPS_URLS
    fieldsets = (
        (None, {"fields": ("name", "short_name", "kind", "org_id", "identifier_source", "website", "postcode")}),
        ("Local authority", {"fields": ("gss_code", "authority_type", "dfe_la_number")}),
        ("Lifetime", {"fields": ("valid_from", "valid_to", "replaced_by")}),
    )


class RoundInline(admin.TabularInline):
    model = Round
    extra = 0
    can_delete = False
    fields = ("number", "name", "budget", "budget_is_illustrative", "start_date", "end_date")
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(AuditHistoryAdmin, Undeletable, admin.ModelAdmin):
    list_display = ("name", "code", "funder", "budget", "budget_is_illustrative", "start_date", "end_date")
    list_filter = ("budget_is_illustrative", ("funder", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("funder",)
    search_fields = ("name", "code", "ggis_scheme_reference")
    autocomplete_fields = ("funder",)
    inlines = [RoundInline]


@admin.register(Round)
class RoundAdmin(AuditHistoryAdmin, Undeletable, admin.ModelAdmin):
    list_display = ("name", "programme", "number", "budget", "budget_is_illustrative", "start_date", "end_date")
    list_filter = ("budget_is_illustrative", ("programme", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("programme",)
    search_fields = ("name", "programme__name", "programme__code")
    autocomplete_fields = ("programme",)


class AllocationInline(ReadOnlyInline):
    """Read-only: an allocation is saved through its own admin page, which checks the award."""

    model = Allocation
    fields = ("recipient", "financial_year", "resource", "capital", "amount", "purpose", "illustrative")
    readonly_fields = fields
    related = ("recipient",)


class GrantStatusChangeInline(StatusHistoryInline):
    model = GrantStatusChange


class VariationInline(ReadOnlyInline):
    """Variations are made and decided in the service, where a second officer approves large ones."""

    model = Variation
    fields = (
        "requested_at",
        "allocation",
        "amount_before",
        "amount_after",
        "reason",
        "status",
        "requested_by",
        "decided_by",
        "decided_at",
        "decision_note",
        "releases_recovered",
    )
    readonly_fields = fields
    related = ("allocation__recipient", "requested_by", "decided_by")
    show_change_link = False


class AllocationBalanceInline(ReadOnlyInline):
    """Kept by the money services from the allocation's rows; reconciliation checks it against them."""

    model = AllocationBalance
    fields = ("paid", "recovered", "released", "committed", "spent", "forecast", "updated_at")
    readonly_fields = fields
    related = ()
    show_change_link = False


@admin.register(Grant)
class GrantAdmin(AuditHistoryAdmin, ThroughServiceAdmin):
    list_display = (
        "title",
        "project",
        "recipient",
        "round",
        "amount_awarded",
        "award_date",
        "status",
        "publishable",
        "illustrative",
    )
    list_filter = ("status", "illustrative", "publishable", ("round", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("project", "recipient", "round")
    search_fields = ("title", "ggis_award_reference", "project__reference", "project__title", "recipient__name")
    autocomplete_fields = ("project", "round", "recipient")
    readonly_fields = ("status", "threesixtygiving_id", "modified_at")
    date_hierarchy = "award_date"
    inlines = [AllocationInline, GrantStatusChangeInline, VariationInline]
    actions = status_actions(Grant)

    @admin.display(description="360Giving id")
    def threesixtygiving_id(self, obj):
        return obj.threesixtygiving_id if obj.pk else "-"

    def save_through_service(self, data, *, by, instance):
        # A fresh copy each time: the rehearsal must not leave a primary key on the form's object.
        grant = Grant.objects.get(pk=instance.pk) if instance else Grant()
        if instance and data.get("amount_awarded") not in (None, grant.amount_awarded):
            raise services.MoneyRuleError(VARY_IN_THE_SERVICE)
        for name, value in data.items():
            setattr(grant, name, value)
        return services.save_grant(grant=grant, by=by)


class FinancialYearFilter(admin.SimpleListFilter):
    title = "financial year"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).order_by().values_list("financial_year", flat=True).distinct()
        return [(str(year), str(year)) for year in sorted(years)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            return queryset.filter(financial_year=FinancialYear.parse(self.value()))
        except ValueError:
            return queryset.none()


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("paid_on", "kind", "amount", "milestone", "in_advance", "reference", "recorded_by", "illustrative")
    readonly_fields = fields
    related = ("milestone", "recorded_by")


class SpendReturnInline(ReadOnlyInline):
    model = SpendReturn
    fields = ("quarter", "spent", "forecast", "status", "submitted_by", "submitted_at", "illustrative")
    readonly_fields = fields
    related = ("submitted_by",)


VARY_IN_THE_SERVICE = (
    "A change of an amount is a variation, with its reason (and a second officer's approval when it is large): "
    "make it on the grant's or allocation's page in the service, not here."
)


@admin.register(Allocation)
class AllocationAdmin(AuditHistoryAdmin, ThroughServiceAdmin):
    list_display = ("recipient", "financial_year", "grant", "resource", "capital", "amount", "illustrative")
    list_filter = (FinancialYearFilter, "illustrative", ("recipient", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("grant", "recipient")
    search_fields = ("grant__title", "grant__project__reference", "recipient__name", "purpose")
    autocomplete_fields = ("grant", "recipient")
    fields = ("grant", "recipient", "financial_year", "resource", "capital", "amount", "purpose", "illustrative")
    readonly_fields = ("amount",)
    inlines = [AllocationBalanceInline, PaymentInline, SpendReturnInline]

    def get_queryset(self, request):
        # The autocomplete on other pages lists allocations by their __str__, which names the recipient.
        return super().get_queryset(request).select_related("grant", "recipient")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "financial_year":
            # FinancialYearField's own coerce (FinancialYear.parse) fails on the initial
            # FinancialYear when a changed form works out what changed; to_python takes both.
            kwargs["coerce"] = db_field.to_python
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # An allocation stays with its grant; the service re-reads it under that grant's lock.
        return ("grant", "amount") if obj else ("amount",)

    def save_through_service(self, data, *, by, instance):
        # The form has already written the typed values onto ``instance``: compare with the stored row.
        stored = Allocation.objects.get(pk=instance.pk) if instance else None
        if stored and data["resource"] + data["capital"] != stored.resource + stored.capital:
            raise services.MoneyRuleError(VARY_IN_THE_SERVICE)
        return services.save_allocation(
            grant=instance.grant if instance else data["grant"],
            recipient=data["recipient"],
            financial_year=data["financial_year"],
            resource=data["resource"],
            capital=data["capital"],
            purpose=data["purpose"],
            illustrative=data["illustrative"],
            allocation=instance,
        )


@admin.register(Payment)
class PaymentAdmin(AuditHistoryAdmin, ThroughServiceAdmin):
    """Payments are added, never edited: a wrong payment is put right by a recovery row."""

    list_display = (
        "paid_on",
        "kind",
        "amount",
        "recipient",
        "grant",
        "milestone",
        "in_advance",
        "recorded_by",
        "illustrative",
    )
    list_filter = ("kind", "in_advance", "illustrative", ("allocation__recipient", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("allocation__recipient", "allocation__grant", "milestone", "recorded_by")
    search_fields = ("reference", "note", "allocation__recipient__name", "allocation__grant__title")
    autocomplete_fields = ("allocation", "milestone")
    fields = (
        "allocation",
        "kind",
        "amount",
        "paid_on",
        "milestone",
        "in_advance",
        "advance_reason",
        "reference",
        "note",
        "recovery_reason",
        "late_reason",
        "illustrative",
        "recorded_by",
        "recorded_at",
    )
    readonly_fields = ("recorded_by", "recorded_at")
    date_hierarchy = "paid_on"

    @admin.display(ordering="allocation__recipient__name")
    def recipient(self, obj):
        return obj.allocation.recipient

    @admin.display(ordering="allocation__grant__title")
    def grant(self, obj):
        return obj.allocation.grant

    def has_change_permission(self, request, obj=None):
        return False

    def save_through_service(self, data, *, by, instance):
        if data["kind"] == Payment.Kind.RECOVERY:
            recovery = services.record_recovery(
                allocation=data["allocation"],
                amount=data["amount"],
                paid_on=data["paid_on"],
                by=by,
                reason=data["note"],
                recovery_reason=data["recovery_reason"],
                reference=data["reference"],
            )
            if data["illustrative"]:
                Payment.objects.filter(pk=recovery.pk).update(illustrative=True)
            return recovery
        return services.record_payment(
            allocation=data["allocation"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            by=by,
            milestone=data["milestone"],
            in_advance=data["in_advance"],
            advance_reason=data["advance_reason"],
            reference=data["reference"],
            note=data["note"],
            late_reason=data["late_reason"],
            illustrative=data["illustrative"],
        )


@admin.action(description="Mark selected spend returns as reviewed", permissions=["view"])
def mark_reviewed(modeladmin, request, queryset):
    reviewed = 0
    for spend_return in queryset:
        try:
            review_spend_return(spend_return=spend_return, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(request, f"{spend_return}: {text}", messages.ERROR)
        else:
            reviewed += 1
    if reviewed:
        modeladmin.message_user(request, f"Marked {reviewed} as reviewed.", messages.SUCCESS)


@admin.register(SpendReturn)
class SpendReturnAdmin(AuditHistoryAdmin, ViewOnlyAdmin):
    """A return is made and amended by its recipient and reviewed by an officer
    (grants.services); once reviewed it cannot change, so the admin only reviews."""

    list_display = (
        "allocation",
        "financial_quarter",
        "spent",
        "forecast",
        "status",
        "submitted_by",
        "submitted_at",
        "illustrative",
    )
    list_filter = ("status", "quarter", "illustrative", ("allocation__recipient", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("allocation__recipient", "submitted_by")
    search_fields = ("allocation__recipient__name", "allocation__grant__title", "comment")
    actions = [mark_reviewed]

    @admin.display(description="quarter", ordering="quarter")
    def financial_quarter(self, obj):
        return obj.financial_quarter
