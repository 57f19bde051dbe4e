"""Organisation identifiers (org-id.guide): a register's prefix and the organisation's number on it.

A public file must never carry a number that looks registered and is not, so every identifier is
checked against its register's pattern, and an organisation with no registered number known to
the funder is given an identifier under the publisher's own 360Giving prefix
(``360G-<prefix>-org-<slug>``), which no reader can mistake for a register's number.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify

# The registers an organisation here may be identified on, with the pattern of their numbers.
# None of these registers' numbers carries a check digit; the pattern is the whole check.
REGISTERS = {
    "GB-LAE": (r"[A-Z]{3,4}", "a three- or four-letter local authority code, as GB-LAE-DBY"),
    "GB-LAS": (r"[A-Z]{3,4}", "a three- or four-letter Scottish local authority code"),
    "GB-PLA": (r"[A-Z]{3,4}", "a three- or four-letter Welsh or Northern Irish local authority code"),
    "GB-GOR": (r"[A-Z]{1,3}\d{1,4}", "a government organisation register code, as GB-GOR-D6"),
    "GB-CHC": (r"\d{6,7}", "a charity number of six or seven digits, as GB-CHC-1015665"),
    "GB-SC": (r"SC\d{6}", "a Scottish charity number, as GB-SC-SC012345"),
    "GB-NIC": (r"1\d{5}", "a Northern Ireland charity number of six digits beginning 1"),
    "GB-COH": (r"(?:\d{8}|[A-Z]{2}\d{6})", "a company number of eight characters, as GB-COH-02702928"),
    "GB-UKPRN": (r"1\d{7}", "a UK provider reference number of eight digits beginning 1"),
    "GB-NHS": (r"[A-Z0-9]{3,5}", "an NHS organisation code, as GB-NHS-RRK"),
    "GB-EDU": (r"\d{6}", "a school or college URN of six digits"),
}
INTERNAL = re.compile(r"360G-[A-Za-z0-9]+-org-[a-z0-9-]+")
SUPPORTED = ", ".join(REGISTERS)


def internal_id(name: str) -> str:
    """The identifier of an organisation with no registered number known: under the publisher's prefix."""
    return f"360G-{settings.THREESIXTYGIVING_PREFIX}-org-{slugify(name)[:40]}"


def is_registered(org_id: str) -> bool:
    """Whether the identifier is a number on a public register (not one the publisher made)."""
    return not org_id.startswith("360G-")


def validate_org_id(value: str) -> None:
    if INTERNAL.fullmatch(value):
        return
    prefix, _, number = value.rpartition("-")
    register = REGISTERS.get(prefix)
    if register is None:
        raise ValidationError(
            "Enter an org-id on a register this service knows (%(supported)s), or leave the organisation "
            "without a registered number so that it is given one under the publisher's 360Giving prefix.",
            params={"supported": SUPPORTED},
            code="unknown_register",
        )
    pattern, description = register
    if not re.fullmatch(pattern, number):
        raise ValidationError(
            "%(value)s is not a number on %(prefix)s: it takes %(description)s.",
            params={"value": value, "prefix": prefix, "description": description},
            code="not_on_register",
        )
