"""The money: who gives and gets it, programmes, rounds, grants, allocations,
payments and spend returns. Amounts are Decimal pounds with two places."""

from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.lifecycle import Stateful, StatusChange
from grants import money as figures
from grants.financial_year import FinancialYearField
from grants.models_organisations import GSS_CODE, POSTCODE, Organisation, Source  # noqa: F401 (every model here)


def money(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


ILLUSTRATIVE_HELP = "An invented figure for the demonstration, not a figure from the real programme."


class Programme(models.Model):
    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=40, unique=True, help_text="Short code, used in 360Giving grantProgramme.")
    funder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programmes_funded")
    description = models.TextField(blank=True)
    budget = money(help_text="Total budget in pounds.")
    ggis_scheme_reference = models.CharField("GGIS scheme reference", max_length=40, blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    budget_is_illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)
    budget_source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the budget was published.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="programme_budget_not_negative"),
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="programme_dates_in_order"),
        ]

    def __str__(self):
        return self.name


class Round(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    budget = money()
    start_date = models.DateField()
    end_date = models.DateField()
    budget_is_illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)
    budget_source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the budget was published.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="round_number_unique_in_programme"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="round_budget_not_negative"),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="round_dates_in_order"),
        ]

    def __str__(self):
        return self.name


def _visible_projects(user):
    return apps.get_model("projects", "Project").objects.for_user(user)


class GrantQuerySet(models.QuerySet):
    def for_user(self, user):
        """Grants of the projects the user may see: award totals are part of a project's summary."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_whole_programme:
            return self
        return self.filter(project__in=_visible_projects(user))


class Grant(Stateful):
    class Status(models.TextChoices):
        AWARDED = "awarded", "Awarded"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    TRANSITIONS = {
        Status.AWARDED: (Status.ACTIVE, Status.WITHDRAWN),
        Status.ACTIVE: (Status.CLOSED, Status.WITHDRAWN),
    }

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="grants")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="grants")
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="grants_received", help_text="The lead organisation."
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    amount_awarded = money()
    original_amount = money(
        null=True,
        blank=True,
        help_text="The award as first made, kept when a variation first changes it; empty while it never has.",
    )
    award_date = models.DateField()
    planned_start = models.DateField()
    planned_end = models.DateField()
    unallocated_reason = models.TextField(
        blank=True,
        help_text="Why part of the award is left unallocated on purpose: reconciliation then lists the "
        "difference as expected.",
    )
    ggis_award_reference = models.CharField("GGIS award reference", max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWARDED)
    publishable = models.BooleanField(default=True, help_text="Include in the 360Giving publication.")
    illustrative = models.BooleanField(
        default=False, help_text="The amount awarded is invented or approximated for the demonstration."
    )
    dates_are_illustrative = models.BooleanField(
        default=False, help_text="The award and planned dates are invented for the demonstration."
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
        help_text="The publication the award's amount, recipient and dates come from.",
    )
    modified_at = models.DateTimeField(auto_now=True)

    objects = GrantQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["award_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_awarded__gt=0), name="grant_amount_positive"),
            models.CheckConstraint(condition=Q(planned_start__lte=F("planned_end")), name="grant_dates_in_order"),
            models.CheckConstraint(
                condition=Q(status__in=["awarded", "active", "closed", "withdrawn"]), name="grant_status_valid"
            ),
            models.UniqueConstraint(
                fields=["ggis_award_reference"],
                condition=~Q(ggis_award_reference=""),
                name="grant_ggis_reference_unique",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def threesixtygiving_id(self) -> str:
        return f"360G-{settings.THREESIXTYGIVING_PREFIX}-{self.pk}"


class GrantStatusChange(StatusChange):
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="status_changes")


class AllocationQuerySet(models.QuerySet):
    def for_user(self, user):
        """The funder sees all money; a lead sees its projects' money; a partner sees only its own."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_whole_programme:
            return self
        if user.is_recipient:
            # The allocations of the grants it leads, and its own, each found through its own index and joined
            # by UNION. Either condition alone uses an index; asked for with OR, PostgreSQL read every allocation
            # (150,000 at N = 5,000: 18 ms to choose a council's thousand).
            org = user.organisation_id
            led = Allocation.objects.filter(grant__project__lead_organisation=org).order_by().values("pk")
            own = Allocation.objects.filter(recipient=org).order_by().values("pk")
            return self.filter(pk__in=led.union(own))
        return self.none()

    def with_money(self):
        """Each allocation with its figures (grants.money) read from its kept balance, and
        ``has_returns``: with no spend return yet there is no forecast, so no variance to flag."""
        SpendReturn = apps.get_model("grants", "SpendReturn")
        return self.annotate(
            **figures.balance_annotations(),
            has_returns=models.Exists(SpendReturn.objects.filter(allocation=models.OuterRef("pk"))),
        )

    def editable_by_recipient(self, user):
        """Allocations whose spend returns this user submits: its own organisation's."""
        if not user.is_authenticated or not user.is_recipient:
            return self.none()
        return self.filter(recipient=user.organisation_id)


class Allocation(models.Model):
    """The part of a grant earmarked for one recipient in one financial year."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="allocations")
    recipient = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="allocations")
    financial_year = FinancialYearField()
    resource = money(default=Decimal("0.00"), help_text="Revenue spending, in pounds.")
    capital = money(default=Decimal("0.00"), help_text="Capital spending, in pounds.")
    amount = models.GeneratedField(
        expression=F("resource") + F("capital"),
        output_field=models.DecimalField(max_digits=14, decimal_places=2),
        db_persist=True,
    )
    purpose = models.CharField(max_length=300, blank=True)
    illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)

    objects = AllocationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["grant", "financial_year", "recipient__name"]
        # The spending report and dashboard filter allocations by year (and recipient);
        # at 30,000 allocations this replaces a sequential scan (9.3 ms -> 1.6 ms).
        indexes = [models.Index(fields=["financial_year", "recipient"], name="allocation_year_recipient")]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "recipient", "financial_year"], name="allocation_one_per_recipient_and_year"
            ),
            models.CheckConstraint(condition=Q(resource__gte=0), name="allocation_resource_not_negative"),
            models.CheckConstraint(condition=Q(capital__gte=0), name="allocation_capital_not_negative"),
            models.CheckConstraint(condition=Q(resource__gt=0) | Q(capital__gt=0), name="allocation_not_empty"),
            models.CheckConstraint(
                condition=Q(financial_year__gte=1990, financial_year__lte=2100), name="allocation_year_sane"
            ),
        ]

    def __str__(self):
        return f"{self.recipient} {self.financial_year}: £{self.resource + self.capital:,.2f}"


class ThroughAllocationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Rows of the allocations ``user`` may see. For the funder's staff, every row without a filter: a
        filter matching every allocation still cost a join of them all (a count of 120,000 spend returns
        went from 19 ms to 100 ms)."""
        if user.is_authenticated and user.sees_whole_programme:
            return self
        return self.filter(allocation__in=Allocation.objects.for_user(user))


class RecoveryReason(models.TextChoices):
    UNDERSPEND = "underspend_returned", "Underspend returned"
    OVERPAYMENT = "overpayment", "Overpayment"
    BREACH = "breach_of_conditions", "Breach of grant conditions"


class Payment(models.Model):
    """Money paid by the funder against an allocation, or recovered from it."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        RECOVERY = "recovery", "Recovery"

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    amount = money(help_text="Always positive; a recovery reduces the net paid.")
    paid_on = models.DateField()
    milestone = models.ForeignKey(
        "projects.Milestone", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    in_advance = models.BooleanField(default=False, help_text="Paid before an accepted milestone.")
    advance_reason = models.TextField(blank=True)
    reference = models.CharField(max_length=60, blank=True, help_text="Remittance or ledger reference.")
    note = models.TextField(blank=True)
    recovery_reason = models.CharField(max_length=30, choices=RecoveryReason.choices, blank=True)
    late_reason = models.TextField(blank=True, help_text="Why a final payment is made after the grant's planned end.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="payments_recorded"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)

    objects = ThroughAllocationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["paid_on", "pk"]
        # The latest payment on or before a day (the dashboard's opening year) is read from the index's end.
        indexes = [models.Index(fields=["paid_on"], name="payment_paid_on")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=["payment", "recovery"]), name="payment_kind_valid"),
            models.CheckConstraint(
                condition=Q(in_advance=False) | ~Q(advance_reason=""),
                name="payment_in_advance_has_reason",
                violation_error_message="A payment in advance needs a recorded reason.",
            ),
            models.CheckConstraint(
                condition=Q(kind="payment") | (Q(milestone__isnull=True) & Q(in_advance=False)),
                name="recovery_has_no_milestone",
            ),
            models.CheckConstraint(
                condition=Q(kind="payment", recovery_reason="")
                | Q(
                    kind="recovery", recovery_reason__in=["underspend_returned", "overpayment", "breach_of_conditions"]
                ),
                name="recovery_has_a_reason",
                violation_error_message="A recovery needs its reason: underspend returned, overpayment or breach of conditions.",
            ),
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(kind="payment", milestone__isnull=False),
                name="milestone_paid_once",
                violation_error_message="This milestone's payment has already been made.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} £{self.amount:,.2f} on {self.paid_on:%d %b %Y}"

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == self.Kind.RECOVERY else self.amount


class SpendReturn(models.Model):
    """A recipient's statement of what it spent in one quarter of an allocation's
    year, and what it expects to spend in the rest of that year."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        REVIEWED = "reviewed", "Reviewed"

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="spend_returns")
    quarter = models.PositiveSmallIntegerField(help_text="1 = April to June … 4 = January to March.")
    spent = money(help_text="Spent in this quarter.")
    forecast = money(help_text="Forecast to spend in the rest of the financial year.")
    comment = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="spend_returns"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    illustrative = models.BooleanField(default=False, help_text=ILLUSTRATIVE_HELP)

    objects = ThroughAllocationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["allocation", "quarter"]
        # The returns waiting for review (the officers' list, its count and their home's task): a few of
        # every return, in the order they are listed, read without scanning the rest.
        indexes = [
            models.Index(fields=["submitted_at", "id"], condition=Q(status="submitted"), name="spend_return_submitted")
        ]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "quarter"], name="spend_return_one_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="spend_return_quarter_1_to_4"),
            models.CheckConstraint(condition=Q(spent__gte=0), name="spend_return_spent_not_negative"),
            models.CheckConstraint(condition=Q(forecast__gte=0), name="spend_return_forecast_not_negative"),
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="spend_return_reviewed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.allocation.recipient} {self.financial_quarter}"

    @property
    def financial_quarter(self):
        return self.allocation.financial_year.quarter(self.quarter)


class AllocationBalance(models.Model):
    """An allocation's running totals, kept by the money services.

    ``grants.money.refresh_balance`` rewrites the row from the allocation's own
    ledger rows, under the allocation's lock and in the same transaction as the
    payment, recovery, milestone, spend return or variation that changed them.
    Pages, reports and reconciliation add up balances instead of scanning the
    ledger; reconciliation also checks every balance against its rows.
    """

    allocation = models.OneToOneField(Allocation, on_delete=models.CASCADE, primary_key=True, related_name="balance")
    paid = money(default=Decimal("0.00"), help_text="Payments made, before recoveries.")
    recovered = money(default=Decimal("0.00"))
    released = money(default=Decimal("0.00"), help_text="Recovered money that a variation has made payable again.")
    committed = money(default=Decimal("0.00"), help_text="Milestone payments planned or accepted, not yet paid.")
    spent = money(default=Decimal("0.00"))
    forecast = money(default=Decimal("0.00"), help_text="The forecast in the latest spend return.")
    # Whether an invented (illustrative) demo row lies behind a figure, so a page that adds up balances
    # can mark the figure without reading the rows.
    invented_paid = models.BooleanField(default=False)
    invented_committed = models.BooleanField(default=False)
    invented_spent = models.BooleanField(default=False)
    # Indexed: the latest change of any balance says whether cached programme figures are current
    # (core/data_version.py), and without the index finding it read every balance.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    paid__gte=0, recovered__gte=0, released__gte=0, committed__gte=0, spent__gte=0, forecast__gte=0
                ),
                name="allocation_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(recovered__lte=F("paid")), name="allocation_balance_recovered_within_paid"
            ),
            models.CheckConstraint(
                condition=Q(released__lte=F("recovered")), name="allocation_balance_released_within_recovered"
            ),
        ]

    def __str__(self):
        return f"Balance of {self.allocation_id}"


class VariationQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.sees_whole_programme:
            return self
        return self.filter(grant__in=Grant.objects.for_user(user), allocation__in=Allocation.objects.for_user(user))

    def pending(self):
        return self.filter(status=Variation.Status.PENDING)


class Variation(models.Model):
    """A change to an award (``allocation`` empty) or to an allocation: before, after, why, who and when.

    A change of more than VARIATION_APPROVAL_THRESHOLD needs a second programme
    officer's approval before it applies, as a payment needs someone other than
    the officer who accepted its milestone.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="variations")
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, null=True, blank=True, related_name="variations"
    )
    amount_before = money()
    amount_after = money()
    resource_after = money(null=True, blank=True)
    capital_after = money(null=True, blank=True)
    releases_recovered = money(
        default=Decimal("0.00"),
        help_text="Money recovered from the allocation that this variation makes payable again.",
    )
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = VariationQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_before__gte=0, amount_after__gte=0), name="variation_amounts_not_negative"
            ),
            models.CheckConstraint(condition=Q(releases_recovered__gte=0), name="variation_release_not_negative"),
            models.CheckConstraint(condition=~Q(reason=""), name="variation_has_reason"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]), name="variation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="variation_decision_has_who_and_when",
            ),
        ]

    def __str__(self):
        what = f"allocation {self.allocation}" if self.allocation_id else f"award of {self.grant}"
        return f"Variation of {what}: £{self.amount_before:,.2f} → £{self.amount_after:,.2f}"

    @property
    def change(self) -> Decimal:
        return self.amount_after - self.amount_before

    @property
    def is_of_award(self) -> bool:
        return self.allocation_id is None
