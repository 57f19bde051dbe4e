"""The real ways out: SMTP to a local aiosmtpd server and GOV.UK Notify's API on a loopback HTTP server;
a failure retried with a wait, then recorded as failed, shown on /messages/ and sent again."""

import json
import socket
import threading
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from notifications_python_client.authentication import decode_jwt_token, decode_token

from notifications.catalogue import Kind
from notifications.models import Message
from notifications.services import notify

pytestmark = pytest.mark.django_db

INVITE = {"link": "http://127.0.0.1:8000/account/set-up/abc/", "name": "Sam Smith", "organisation": "Harrow"}
SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"test_key-{SERVICE_ID}-{SECRET}"
GENERIC_TEMPLATE = str(uuid.uuid4())
PAYMENT_TEMPLATE = str(uuid.uuid4())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.MESSAGE_BACKEND = "email"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MESSAGE_RETRY_SECONDS = 0
    yield inbox
    controller.stop()


def record(user, kind=Kind.INVITATION, key="invite:1", personalisation=None, *, capture):
    with capture(execute=True):
        return notify(user=user, kind=kind, key=key, personalisation=personalisation or INVITE)


def test_a_message_reaches_the_smtp_server(world, smtp_server, django_capture_on_commit_callbacks):
    message = record(world.users.harrow, capture=django_capture_on_commit_callbacks)
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["harrow@example.gov.uk"]
    received = message_from_bytes(envelope.content, policy=default_policy)
    assert received["Subject"] == "You have been invited to use Manage innovation grants"
    assert received["From"] == "noreply@manage-innovation-grants.local"
    assert "http://127.0.0.1:8000/account/set-up/abc/" in received.get_content()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 1
    assert message.provider_reference == received["Message-ID"].strip()


def test_a_failure_is_retried_after_a_wait_then_recorded_as_failed_and_sent_again(
    world, smtp_server, settings, client, django_capture_on_commit_callbacks
):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.MESSAGE_RETRY_SECONDS = 60
    message = record(world.users.harrow, capture=django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 1)
    assert "ConnectionRefusedError" in message.last_error
    # The wait after the first failure is a minute: not due yet.
    assert 55 <= (message.next_attempt_at - timezone.now()).total_seconds() <= 60
    call_command("send_messages")
    message.refresh_from_db()
    assert message.attempts == 1
    # Once the wait is over, the second try; then the third, the last, after five times as long.
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    call_command("send_messages")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 2)
    assert 295 <= (message.next_attempt_at - timezone.now()).total_seconds() <= 300
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    call_command("send_messages")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.FAILED, 3)
    call_command("send_messages")  # a failed message is not tried again by itself
    message.refresh_from_db()
    assert message.attempts == 3 and smtp_server.envelopes == []

    client.force_login(world.users.officer)
    page = client.get(reverse("notifications:log"), {"status": "failed"}).content.decode()
    assert "harrow@example.gov.uk" in page and "ConnectionRefusedError" in page and "Send again" in page
    assert "An invitation to use the service" in page

    settings.EMAIL_PORT = working_port
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:send-again", kwargs={"message_pk": message.pk}))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 1
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [["harrow@example.gov.uk"]]
    # Sending again a message that has not failed does nothing.
    client.post(reverse("notifications:send-again", kwargs={"message_pk": message.pk}))
    assert len(smtp_server.envelopes) == 1


def test_a_sender_that_stopped_mid_send_is_noticed(world, settings):
    """A message left "sending" by a worker that died is tried again, or failed if that was its last try."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    retried = notify(user=world.users.harrow, kind=Kind.INVITATION, key="a", personalisation=INVITE)
    given_up = notify(user=world.users.derbyshire, kind=Kind.INVITATION, key="a", personalisation=INVITE)
    Message.objects.filter(pk=retried.pk).update(status="sending", attempts=1, claimed_at=long_ago)
    Message.objects.filter(pk=given_up.pk).update(status="sending", attempts=3, claimed_at=long_ago)
    call_command("send_messages")
    retried.refresh_from_db()
    given_up.refresh_from_db()
    assert (retried.status, retried.attempts) == (Message.Status.SENT, 2)
    assert given_up.status == Message.Status.FAILED and "stopped" in given_up.last_error


class NotifyStub(BaseHTTPRequestHandler):
    requests: list = []
    answer = (201, {"id": "6f5c1b8e-0000-4000-8000-000000000001"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "authorization": self.headers["Authorization"], "json": body})
        status, answer = type(self).answer
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def notify_server(settings):
    NotifyStub.requests = []
    NotifyStub.answer = (201, {"id": "6f5c1b8e-0000-4000-8000-000000000001"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotifyStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MESSAGE_BACKEND = "govuk_notify"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    settings.NOTIFY_TEMPLATE_ID = GENERIC_TEMPLATE
    settings.NOTIFY_TEMPLATE_IDS = {"payment_made": PAYMENT_TEMPLATE}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MESSAGE_RETRY_SECONDS = 0
    yield NotifyStub
    server.shutdown()
    server.server_close()


def test_notify_gets_the_generic_template_with_subject_and_body_and_a_signed_key(
    world, notify_server, django_capture_on_commit_callbacks
):
    message = record(world.users.harrow, capture=django_capture_on_commit_callbacks)
    (request,) = notify_server.requests
    assert request["path"] == "/v2/notifications/email"
    sent = request["json"]
    assert sent["email_address"] == "harrow@example.gov.uk"
    assert sent["template_id"] == GENERIC_TEMPLATE
    assert sent["reference"] == f"message-{message.pk}"
    assert sent["personalisation"]["subject"] == "You have been invited to use Manage innovation grants"
    assert "http://127.0.0.1:8000/account/set-up/abc/" in sent["personalisation"]["body"]
    scheme, token = request["authorization"].split(" ")
    assert scheme == "Bearer"
    assert decode_jwt_token(token, SECRET) is True  # signed with the key's secret, which never travels
    assert decode_token(token)["iss"] == SERVICE_ID
    assert SECRET not in json.dumps(request)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_reference == "6f5c1b8e-0000-4000-8000-000000000001"


def test_notify_gets_a_kinds_own_template_with_its_fields(world, notify_server, django_capture_on_commit_callbacks):
    details = {
        "name": "Derbyshire Tester",
        "amount": "£50,000.00",
        "organisation": "Derbyshire County Council",
        "project": "Reclaiming Social Work",
        "grant": "Reclaiming Social Work",
        "financial_year": "2015-16",
        "paid_on": "31 October 2015",
        "reference": "REM-1",
        "milestone": "",
        "link": "http://127.0.0.1:8000/x/",
    }
    record(world.users.derbyshire, Kind.PAYMENT_MADE, "payment:1", details, capture=django_capture_on_commit_callbacks)
    (request,) = notify_server.requests
    assert request["json"]["template_id"] == PAYMENT_TEMPLATE
    personalisation = request["json"]["personalisation"]
    assert personalisation["amount"] == "£50,000.00" and personalisation["reference"] == "REM-1"
    assert personalisation["subject"].startswith("Payment of £50,000.00 made to Derbyshire County Council")


def test_notify_refusing_is_recorded_with_its_reason(world, notify_server, django_capture_on_commit_callbacks):
    notify_server.answer = (
        400,
        {
            "status_code": 400,
            "errors": [
                {"error": "BadRequestError", "message": "Can't send to this recipient using a team-only API key"}
            ],
        },
    )
    message = record(world.users.harrow, capture=django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.attempts == 1
    assert "team-only API key" in message.last_error and "400" in message.last_error
    assert SECRET not in message.last_error
