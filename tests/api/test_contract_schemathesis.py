"""schemathesis against the API's served description (/api/v1/openapi.json, read from the running
application, not from a file), signed in with a token of each role: it must find no failure.

For each persona, every operation of the description is sent examples made from its parameters and
body: ones that fit the description (positive) and ones that break it (negative). The checks, and why:

- not_a_server_error: no input, valid or not, gets a 500.
- status_code_conformance: every status answered is one the description documents for the operation.
- content_type_conformance: each answer's content type is the documented one (application/json for a
  success, application/problem+json for a problem).
- response_schema_conformance: each body matches its documented schema (money as decimal strings,
  problems in the RFC 9457 shape).
- response_headers_conformance: documented headers are sent (Retry-After on a 429).
- negative_data_rejection: a request that breaks the description is refused with a 4xx, never done.
- ignored_auth: an operation that answers 2xx with the token refuses the same request without one and
  with a made-up one.

- positive_data_acceptance, for reads only: a read that fits the description is answered (200, or 404
  outside the token's scope), so the filters are documented as exactly what they accept. A write that
  fits the description is still refused, rightly, when a money rule says no, so writes are left out.

Left out: the stateful checks (use_after_free,
ensure_resource_availability), which need links between operations the description does not declare.

Examples are bounded and derandomized, so the suite stays quick and the same examples run in CI and
here; positive examples of an operation on one object use the ids of real rows on both sides of the
persona's scope as well as generated ones, so the 200 and the 404 answers are both exercised.
"""

import datetime as dt
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.contract_support import (
    COLLECTIONS,
    DESCRIPTION,
    PERSONAS,
    bearer_key,
    known_ids,
    milestones_open_for_evidence,
    money_on_each_side,
    served_in_this_transaction,
)
from tests.test_permissions import scoped  # noqa: F401 (a fixture)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    ignored_auth,
]
# A read that fits the description is answered (200, or 404 for an object the token may not see): its
# filters are documented as exactly what they accept. (A write that fits it can still break a money rule.)
READ_CHECKS = [*CHECKS, positive_data_acceptance]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
# A read-only token is refused every write before its body is read: a few examples prove the 403 problem.
REFUSED_EXAMPLES = 3
# Input that breaks the description is refused by the same parsing whoever sends it, so the reads get their
# negative examples under one persona; each write gets them under every persona, since who may write
# decides what is read of the body.
NEGATIVE_READS_PERSONA = "officer"
# Fields of a write's body that name an object, and the collection whose real rows they are tried with.
REAL_ROWS = {"allocation_id": "allocations", "milestone_id": "milestones"}
# Values a finance system or a council would send (a date within the world's grants, a modest sum), so that
# some positive examples pass the money rules and the 201 answers are checked too, not only the refusals.
ORDINARY = {
    "paid_on": st.dates(dt.date(2015, 1, 5), dt.date(2016, 12, 31)).map(dt.date.isoformat),
    "amount": st.sampled_from(["100.00", "2500.50", "49999.99"]),
    "spent": st.sampled_from(["0.00", "1250.50"]),
    "forecast": st.sampled_from(["0.00", "3000.00"]),
    "quarter": st.integers(1, 4),
    # Evidence the upload check accepts (a PDF by its content), so that a submission can be made.
    "files": st.just([b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"]),
}
ONE_OBJECT = re.compile(r"^/api/v1/(?P<collection>[a-z-]+)/\{(?P<name>[a-z_]+)\}")


def _settings(max_examples):
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        # No shrinking: a failure is reported with the request that found it, and the run stays short.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


@st.composite
def _with_real_rows(draw, strategy, ids):
    case = draw(strategy)
    if isinstance(case.body, dict):
        for field, collection in REAL_ROWS.items():
            if case.body.get(field) is not None:
                case.body[field] = draw(st.sampled_from(ids[collection]))
        for field, values in ORDINARY.items():
            # Evidence is optional in the description, so hypothesis often leaves it out: add it here.
            if field in case.body or (field == "files" and "narrative" in case.body):
                case.body[field] = draw(values)
    return case


def _strategy(operation, mode, ids, headers):
    """The operation's examples. A positive example is also tried on real rows: an operation on one object
    with each real row's id, a write's body naming real allocations and milestones with ordinary values."""
    # The token is a fixed header of every example, so that a negative example never breaks it (it would be
    # put back on sending, and the request wrongly counted as invalid data accepted).
    strategy = operation.as_strategy(generation_mode=mode, headers=headers)
    if mode is not GenerationMode.POSITIVE:
        return strategy
    real = _with_real_rows(strategy, ids)
    if match := ONE_OBJECT.match(operation.path):
        assert match["collection"] in ids, f"add /{match['collection']} to contract_support.COLLECTIONS"
        real = st.sampled_from(ids[match["collection"]]).flatmap(
            lambda pk: _with_real_rows(
                operation.as_strategy(generation_mode=mode, path_parameters={match["name"]: pk}, headers=headers), ids
            )
        )
    return st.one_of(real, strategy)


def _exercise(operation, mode, headers, ids, max_examples) -> str | None:
    """Run the examples of one operation in one mode; the failure schemathesis found, as text, or None."""

    @_settings(max_examples)
    @given(case=_strategy(operation, mode, ids, headers))
    def run(case):
        # Two things fit a read's description and are still refused, rightly, with a problem: a made-up cursor
        # (a cursor is opaque: only one the API gave back is valid, which no description can say), and a NUL
        # character, which the whole service refuses (core.middleware: PostgreSQL cannot hold one).
        query = case.query or {}
        accepted = (
            case.method == "GET" and "cursor" not in query and not any("\x00" in f"{k}{v}" for k, v in query.items())
        )
        # Sent again at the call, so that schemathesis knows the token was given, not generated (ignored_auth).
        case.call_and_validate(headers=headers, checks=READ_CHECKS if accepted else CHECKS)

    try:
        run()
    # schemathesis raises its failures as a group (a BaseExceptionGroup, not an Exception); each failure of
    # each operation is kept, so that one run reports them all.
    except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001
        # The group's message holds each failure, the response and a curl command that reproduces it.
        return f"{operation.method.upper()} {operation.path} ({mode.value}): {error}"
    return None


@pytest.fixture
def contract_world(world, scoped, settings):  # noqa: F811 (scoped is a fixture)
    # schemathesis sends hundreds of requests a minute with one token; the rate limit has tests of its own.
    settings.API_RATE_LIMIT = "100000/minute"
    money_on_each_side(world)
    milestones_open_for_evidence(world)
    return world


@pytest.mark.parametrize("persona", PERSONAS)
def test_schemathesis_finds_no_failure_with_the_token_of(persona, contract_world):
    user = getattr(contract_world.users, persona)
    scope = PERSONAS[persona]
    headers = {"Authorization": f"Bearer {bearer_key(user, scope)}"}
    ids = known_ids()
    failures = []
    with served_in_this_transaction() as app:
        schema = schemathesis.openapi.from_wsgi(DESCRIPTION, app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations, "the served description has no operations"
        for operation in operations:
            reads = operation.method.upper() == "GET"
            for mode, max_examples in EXAMPLES.items():
                if reads and mode is GenerationMode.NEGATIVE and persona != NEGATIVE_READS_PERSONA:
                    continue
                if not reads and scope != "read_write":
                    max_examples = REFUSED_EXAMPLES
                failure = _exercise(operation, mode, headers, ids, max_examples)
                if failure:
                    failures.append(failure)
    assert not failures, f"{len(failures)} operations failed for {persona}:\n\n" + "\n\n".join(failures)


def test_every_collection_of_the_description_is_known_to_the_walk(client, db):
    """A new collection's one-object operation must be tried with real ids too, not only random ones."""
    paths = client.get(DESCRIPTION).json()["paths"]
    collections = {match["collection"] for path in paths if (match := ONE_OBJECT.match(path))}
    assert collections, "the served description has no operation on one object"
    assert collections <= set(COLLECTIONS), f"add {collections - set(COLLECTIONS)} to contract_support.COLLECTIONS"
