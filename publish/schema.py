"""The 360Giving Data Standard 1.4 as this service uses it: the official JSON
schemas and codelists (copied unchanged into ``publish/data/`` from the
standard's 1.4.2 release), an offline validator, and the codes the
publication draws from the codelists.

The package schema refers to the grant schema by its URL; the validator is
given both through a ``referencing.Registry``, so validation never fetches
anything from the network.
"""

import csv
import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DATA = Path(__file__).resolve().parent / "data"
PACKAGE_SCHEMA = "360-giving-package-schema.json"
GRANT_SCHEMA = "360-giving-schema.json"

# RFC 3339 section 5.6, as JSON Schema's "date-time" format means it: a full
# date, "T", a full time and an offset.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")

FORMATS = FormatChecker()


# jsonschema checks "date-time" and "uri" only when optional packages are
# installed; without a check, a plain date such as "2015-01-05" matches both
# branches of the standard's oneOf (date-time, or a YYYY-MM-DD pattern) and is
# wrongly refused. So both formats are checked here, with the standard library.
@FORMATS.checks("date-time")
def is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # a real day and time
    except ValueError:
        return False
    return True


@FORMATS.checks("uri")
def is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and not any(c.isspace() for c in value)


def schema_json(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@cache
def package_validator() -> Draft202012Validator:
    package, grant = schema_json(PACKAGE_SCHEMA), schema_json(GRANT_SCHEMA)
    registry = Registry().with_resources(
        (schema["$id"], DRAFT202012.create_resource(schema)) for schema in (package, grant)
    )
    return Draft202012Validator(package, registry=registry, format_checker=FORMATS)


def validation_errors(package: dict, limit: int = 20) -> list[str]:
    """Plain messages naming where each problem is, such as ``grants/3/awardDate: ...``; empty when valid."""
    errors = sorted(package_validator().iter_errors(package), key=lambda error: list(map(str, error.absolute_path)))
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(the package)'}: {error.message}" for error in errors[:limit]
    ]


@cache
def codelist(name: str) -> dict[str, str]:
    """Code to title, from one of the standard's codelists (first title wins for a repeated code)."""
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as file:
        codes = {}
        for row in csv.DictReader(file):
            codes.setdefault(row["Code"], row["Title"])
        return codes


def code_from(name: str, code: str) -> str:
    """``code``, after checking the codelist holds it: a typo here must fail loudly, not publish a bad code."""
    if code not in codelist(name):
        raise ImproperlyConfigured(f"{code} is not in the 360Giving {name} codelist")
    return code
