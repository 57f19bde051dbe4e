import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    """One load of the demo for the package (it takes seconds), rolled back afterwards; the tests only read."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(DEVELOPMENT=True, PASSWORD_HASHERS=fast):
        with transaction.atomic():
            call_command("load_demo", stdout=io.StringIO())
            yield
            transaction.set_rollback(True)
