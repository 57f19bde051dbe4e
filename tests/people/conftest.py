"""People: Derbyshire's staff member is made its lead contact; a second Derbyshire recipient is
someone for them to manage. Messages go the moment their transaction commits, into Django's
in-memory outbox."""

import re

import pytest
from django.core import mail

from accounts.models import Role, User
from tests.conftest import PASSWORD

INVITE = "/people/invite/"


@pytest.fixture(autouse=True)
def send_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESSAGE_BACKEND = "email"
    settings.MESSAGE_RETRY_SECONDS = 0
    settings.SERVICE_URL = "https://grants.example.gov.uk"


@pytest.fixture
def lead(world):
    """Derbyshire's recipient persona, made its lead contact."""
    user = world.users.derbyshire
    User.objects.filter(pk=user.pk).update(is_lead_contact=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def colleague(world):
    return User.objects.create_user(
        "derbyshire2",
        "second@derbyshire.example.gov.uk",
        PASSWORD,
        role=Role.RECIPIENT,
        organisation=world.derbyshire,
        first_name="Dana",
        last_name="Second",
    )


@pytest.fixture
def send_invitation(client, django_capture_on_commit_callbacks):
    """Post the invitation form as ``user``; returns the response and the link in the email sent."""

    def send(user, **data):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(INVITE, data)
        client.logout()
        return response, (invitation_link(mail.outbox[-1]) if mail.outbox else None)

    return send


def invitation_link(message):
    found = re.search(r"https://grants\.example\.gov\.uk(/invitation/[^/\s]+/)", message.body)
    return found.group(1) if found else None


def accept(client, link, follow=False, **data):
    form = {
        "first_name": "Priya",
        "last_name": "Shah",
        "username": "",
        "password1": "correct-horse-battery-9",
        "password2": "correct-horse-battery-9",
        **data,
    }
    return client.post(link, form, follow=follow)
