"""The messaging settings stop the service when half set or mistyped."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications.backends import check_template_ids

ROOT = Path(__file__).resolve().parents[2]
KEY = f"live_key-{uuid.uuid4()}-{uuid.uuid4()}"
TEMPLATE = str(uuid.uuid4())


def settings_error(**environment) -> str:
    """What importing the settings says with these variables set ("" when it loads)."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("NOTIFY_", "EMAIL_", "SERVICE_URL"))
    }
    env.update(DJANGO_DEVELOPMENT="1", **environment)
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return "" if result.returncode == 0 else result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        ({"NOTIFY_API_KEY": KEY}, "NOTIFY_API_KEY needs NOTIFY_TEMPLATE_ID"),
        ({"NOTIFY_TEMPLATE_ID": TEMPLATE}, "need NOTIFY_API_KEY"),
        ({"NOTIFY_TEMPLATE_ID_PAYMENT_MADE": TEMPLATE}, "need NOTIFY_API_KEY"),
        ({"NOTIFY_API_KEY": "just-a-secret", "NOTIFY_TEMPLATE_ID": TEMPLATE}, "whole GOV.UK Notify API key"),
        ({"NOTIFY_API_KEY": KEY, "NOTIFY_TEMPLATE_ID": "welcome"}, "must be a Notify template id"),
        ({"NOTIFY_API_KEY": KEY, "NOTIFY_TEMPLATE_ID": TEMPLATE, "NOTIFY_BASE_URL": "ftp://x"}, "NOTIFY_BASE_URL"),
        ({"EMAIL_HOST_USER": "mailer"}, "EMAIL_HOST_USER and EMAIL_HOST_PASSWORD go together"),
        ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "not both"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number"),
        ({"SERVICE_URL": "grants.example.gov.uk"}, "SERVICE_URL must be the service's address"),
    ],
)
def test_half_set_or_mistyped_settings_stop_the_service(environment, says):
    assert says in settings_error(**environment)


def test_whole_settings_load():
    assert (
        settings_error(NOTIFY_API_KEY=KEY, NOTIFY_TEMPLATE_ID=TEMPLATE, NOTIFY_TEMPLATE_ID_PAYMENT_MADE=TEMPLATE) == ""
    )
    assert settings_error(EMAIL_HOST="smtp.example.gov.uk", EMAIL_PORT="587", EMAIL_USE_TLS="1") == ""


def test_a_template_id_for_no_kind_of_message_stops_the_service(settings):
    settings.NOTIFY_TEMPLATE_IDS = {"payment_made": TEMPLATE, "payment_mde": TEMPLATE}
    with pytest.raises(ImproperlyConfigured, match="NOTIFY_TEMPLATE_ID_PAYMENT_MDE"):
        check_template_ids()
