"""Who gives and gets the money: organisations, with their registered identifiers and where they are,
and the publications (sources) facts are taken from. Imported by grants.models, where every model of
the app is found."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from grants.org_ids import validate_org_id

POSTCODE = RegexValidator(
    r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$", "Enter a full UK postcode in capitals with its space, such as DE4 3AG."
)
GSS_CODE = RegexValidator(r"^[EWSN]\d{8}$", "Enter an ONS GSS code such as E10000007.")


class Source(models.Model):
    """A publication a fact was taken from. A figure, date or identifier with no source is illustrative."""

    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["title", "published_on"], name="one_source_per_publication")]

    def __str__(self):
        return f"{self.title} ({self.published_on:%B %Y})" if self.published_on else self.title


class Organisation(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT_DEPARTMENT = "government_department", "Government department"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        CHARITY = "charity", "Charity"
        COMPANY = "company", "Company"
        UNIVERSITY = "university", "University"
        NHS_BODY = "nhs_body", "NHS body"
        OTHER = "other", "Other"

    class AuthorityType(models.TextChoices):
        COUNTY = "CTY", "County council"
        UNITARY = "UA", "Unitary authority"
        METROPOLITAN = "MD", "Metropolitan district"
        LONDON_BOROUGH = "LBO", "London borough"
        CITY_OF_LONDON = "CC", "City of London"

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    org_id = models.CharField(
        "org-id",
        max_length=60,
        unique=True,
        validators=[validate_org_id],
        help_text="The organisation's number on a public register (org-id.guide), or, when none is known, an "
        "identifier under the publisher's 360Giving prefix: never a number that only looks registered.",
    )
    identifier_source = models.ForeignKey(
        "Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the registered number was published.",
    )
    gss_code = models.CharField("GSS code", max_length=9, blank=True, validators=[GSS_CODE])
    authority_type = models.CharField(max_length=3, choices=AuthorityType.choices, blank=True)
    dfe_la_number = models.PositiveSmallIntegerField("DfE LA number", null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True, help_text="The last day the organisation existed.")
    replaced_by = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="predecessors", help_text="Its successor or successors."
    )
    website = models.URLField(blank=True)
    postcode = models.CharField(
        max_length=8,
        blank=True,
        validators=[POSTCODE],
        help_text="The postcode of its registered address, published in 360Giving as its location.",
    )
    # When it last changed, however it changed (a form, the admin, load_authorities): the open data is
    # rebuilt when it moves.
    modified_at = models.DateTimeField(auto_now=True)

    # Who changed an organisation's identifiers and dates, and when: the open data names it. A change of
    # successors is said in the copy's change reason by the form that makes it (grants.forms).
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_from__lte=F("valid_to")),
                name="organisation_valid_dates_in_order",
                violation_error_message="An organisation cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(kind="local_authority", authority_type__in=["CTY", "UA", "MD", "LBO", "CC"])
                | (~Q(kind="local_authority") & Q(authority_type="") & Q(gss_code="")),
                name="organisation_authority_type_only_for_local_authorities",
                violation_error_message="A local authority needs an authority type; other organisations have none.",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "government_department",
                        "local_authority",
                        "charity",
                        "company",
                        "university",
                        "nhs_body",
                        "other",
                    ]
                ),
                name="organisation_kind_valid",
            ),
            models.UniqueConstraint(
                fields=["gss_code"], condition=~Q(gss_code=""), name="organisation_gss_code_unique"
            ),
        ]

    # What __str__ gives, as a column: a form's select of organisations reads it alone (core.forms).
    choice_label = "name"

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return self.short_name or self.name

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)
