"""An organisation named by what a person types rather than chosen from a list of every one: a programme
holds over a thousand, too many for a select. Its org-id, name or short name, in any case, finds it;
failing those, a part of its name that no other organisation's name shares."""

from django.core.exceptions import ValidationError
from django.db.models import Q

from grants.models import Organisation

# How many organisations an ambiguous name lists in its message.
SUGGESTIONS = 3


def organisation_typed(text: str) -> Organisation | None:
    """The one organisation the text names, None for no text; a ValidationError that says what to type
    when none matches or several do."""
    text = " ".join(text.split())
    if not text:
        return None
    exact = Organisation.objects.filter(
        Q(org_id__iexact=text) | Q(name__iexact=text) | Q(short_name__iexact=text)
    ).order_by("name")[:2]
    matches = list(exact) or list(
        Organisation.objects.filter(Q(name__icontains=text) | Q(short_name__icontains=text)).order_by("name")[
            : SUGGESTIONS + 1
        ]
    )
    if not matches:
        raise ValidationError(
            f"No organisation matches “{text}”. Enter an org-id such as GB-LAE-DBY, or the organisation’s name",
            code="invalid_choice",
        )
    if len(matches) > 1:
        shown = "; ".join(f"{org.name} ({org.org_id})" for org in matches[:SUGGESTIONS])
        more = " and others" if len(matches) > SUGGESTIONS else ""
        raise ValidationError(
            f"More than one organisation matches “{text}”: {shown}{more}. Enter the org-id of the one you want",
            code="ambiguous",
        )
    return matches[0]
