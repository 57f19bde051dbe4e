import pytest


@pytest.fixture
def send_at_once(settings):
    """Messages go the moment their transaction commits: the immediate task backend, Django's
    in-memory email outbox, no wait between tries."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESSAGE_BACKEND = "email"
    settings.MESSAGE_RETRY_SECONDS = 0
    return settings
