import pytest


@pytest.fixture
def send_at_once(settings):
    """Messages go the moment their transaction commits: the immediate task backend and Django's
    in-memory email outbox."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESSAGE_BACKEND = "email"
    settings.MESSAGE_RETRY_SECONDS = 0
    settings.SERVICE_URL = "http://127.0.0.1:8000"
    return settings


def sent_to(reminders, user):
    """(kind, key) of each reminder to ``user``."""
    return [(reminder.kind.value, reminder.key) for reminder in reminders if reminder.user == user]
