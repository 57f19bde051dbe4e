"""The API's test helpers: a test client signed in with a token of one of the world's personas, and a small
API of its own (`probe`) for testing the API's machinery apart from any real operation."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from ninja import File, Form, Schema, Status, UploadedFile
from ninja.pagination import paginate

from api.api import Api
from api.auth import read_token, write_token
from api.models import ApiToken
from api.paging import CursorPagination
from grants.models import Organisation
from grants.services import MoneyRuleError


def make_token(user, *, scope="read", name="Test token", days=30):
    """A live token for ``user`` and its key."""
    return ApiToken.issue(user=user, name=name, scope=scope, expires_at=timezone.now() + timedelta(days=days))


def bearer_client(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api_client_for(world):
    """``api_client_for("derbyshire", scope="read_write")``: a Client whose every request carries a fresh
    token of that world persona. The token is on the client as ``client.api_token`` and its key as
    ``client.api_key``."""

    def make(persona: str, scope: str = "read") -> Client:
        token, key = make_token(getattr(world.users, persona), scope=scope, name=f"{persona} {scope}")
        client = bearer_client(key)
        client.api_token, client.api_key = token, key
        return client

    return make


# The probe: mounted under /api/v1/probe/ (so the idempotency middleware covers it) by the `probe_api`
# fixture, in front of the service's own addresses.


probe = Api(urls_namespace="api-probe", auth=read_token, docs_url=None)
# The race test holds the first write here until the second has been answered.
probe.hold = None


class OrganisationOut(Schema):
    id: int
    name: str


class MadeIn(Schema):
    name: str
    amount: Decimal


@probe.get("/organisations", response=list[OrganisationOut])
@paginate(CursorPagination)
def organisations(request):
    return Organisation.objects.all()


@probe.post("/organisations", response={201: OrganisationOut}, auth=write_token)
def make_organisation(request, payload: MadeIn):
    if probe.hold is not None:
        probe.hold.wait(timeout=10)
        time.sleep(0.2)
    organisation = Organisation.objects.create(
        name=payload.name, short_name=payload.name[:20], kind="charity", org_id=f"GB-CHC-{time.time_ns()}"
    )
    return Status(201, organisation)


@probe.post("/evidence", response={201: dict}, auth=write_token)
def evidence(request, narrative: Form[str], file: File[UploadedFile]):
    return Status(201, {"narrative": narrative, "size": file.size})


@probe.get("/missing")
def missing(request):
    raise Http404("Organisation 12 is Kent's")


@probe.get("/forbidden")
def forbidden(request):
    raise PermissionDenied("Only finance officers record payments.")


@probe.post("/rules", auth=write_token)
def rules(request, payload: MadeIn):
    if payload.amount > 100:
        raise MoneyRuleError("Payments to Derbyshire would pass its allocations by £1.00")
    raise ValidationError({"amount": "Enter an amount of 100 or less", "name": ["Too short", "Not a name"]})


@probe.get("/boom")
def boom(request):
    raise RuntimeError("secret internals")


@probe.post("/boom", auth=write_token)
def boom_write(request, payload: MadeIn):
    Organisation.objects.create(name=payload.name, short_name="x", kind="charity", org_id=f"GB-CHC-{time.time_ns()}")
    raise RuntimeError("failed after writing")


urlpatterns = [path("api/v1/probe/", probe.urls), path("", include("config.urls"))]


@pytest.fixture
def probe_api(settings):
    settings.ROOT_URLCONF = "tests.api.conftest"
    probe.hold = None
    yield probe
    probe.hold = None
