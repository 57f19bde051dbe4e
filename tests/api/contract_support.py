"""What the contract tests share: each persona's token, the served application inside the test's
transaction, and the ids of the objects on each side of every persona's scope.

The API is driven through Django's WSGI handler in the test's own thread, so it reads and writes in the
test's transaction: the world the fixtures built is there, and whatever schemathesis writes is rolled back
with the rest of the test."""

import contextlib
import datetime as dt
from decimal import Decimal

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from api.models import ApiToken
from evaluations.models import Evaluation, OutcomeResult
from grants import services
from grants.models import Allocation, Grant, Organisation, Payment, Programme, RecoveryReason, Round, SpendReturn
from projects.models import Milestone, Project

DESCRIPTION = "/api/v1/openapi.json"

# Each role of the issue with the scope its token is made with: read-write where the API lets the role
# write (grant recipients send returns and evidence, finance records payments), read only otherwise.
PERSONAS = {
    "officer": ApiToken.Scope.READ,
    "finance": ApiToken.Scope.READ_WRITE,
    "viewer": ApiToken.Scope.READ,
    "morninglane": ApiToken.Scope.READ_WRITE,
    "derbyshire": ApiToken.Scope.READ_WRITE,
    "evaluator": ApiToken.Scope.READ,
}

# The model behind each collection of the API, so that an operation on /{collection}/{id} is tried with the
# ids of real rows (inside and outside the persona's scope), not only with integers that match nothing.
COLLECTIONS = {
    "programmes": Programme,
    "rounds": Round,
    "organisations": Organisation,
    "projects": Project,
    "grants": Grant,
    "allocations": Allocation,
    "milestones": Milestone,
    "payments": Payment,
    "spend-returns": SpendReturn,
    "evaluations": Evaluation,
    "outcome-results": OutcomeResult,
}


def bearer_key(user, scope) -> str:
    _, key = ApiToken.issue(
        user=user,
        name=f"Contract tests ({user.username})",
        scope=scope,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    return key


@contextlib.contextmanager
def served_in_this_transaction():
    """Django's WSGI handler, as a server runs it, minus one thing: at the start and end of each request a
    server closes a database connection that is in a transaction it did not open (close_old_connections).
    Here that transaction is the test's, so the handler would close it under the test. Django's own test
    client disconnects the same receiver for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def money_on_each_side(world):
    """A payment and a recovery on Derbyshire's allocation (inside every recipient's scope but Harrow's
    view of it) and on Kent's (outside every recipient's scope), through the money services the pages use."""
    for allocation in (world.allocations["GB-LAE-DBY"], world.other_allocation):
        services.record_payment(
            allocation=allocation,
            amount=Decimal("20000.00"),
            paid_on=dt.date(2015, 10, 1),
            by=world.users.finance,
            reference="REM-1",
        )
        services.record_recovery(
            allocation=allocation,
            amount=Decimal("1500.00"),
            paid_on=dt.date(2016, 4, 1),
            by=world.users.finance,
            reason="Underspend in the first year",
            recovery_reason=RecoveryReason.UNDERSPEND,
        )


def milestones_open_for_evidence(world):
    """The world's milestones with a payment are submitted by the `scoped` fixture; one planned milestone each
    for Derbyshire and Morning Lane (without a payment) lets evidence be sent, and a 201 be checked."""
    for organisation in (world.derbyshire, world.morning_lane):
        Milestone.objects.create(
            project=world.project,
            organisation=organisation,
            title=f"Report for {organisation.name}",
            due_date=dt.date(2016, 3, 31),
        )


def known_ids() -> dict[str, list[int]]:
    """Every row's id of each collection, newest first (hypothesis draws the first ones most, and the newest
    rows are the ones the contract fixtures made to be written to), then one past the end (a missing object)."""
    ids = {}
    for collection, model in COLLECTIONS.items():
        pks = list(model.objects.order_by("-pk").values_list("pk", flat=True))
        ids[collection] = [*pks, (pks[0] if pks else 0) + 1]
    return ids
