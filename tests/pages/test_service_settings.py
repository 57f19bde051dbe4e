"""The owner, contact address and feedback link are settings that refuse a bad value at start-up."""

import pytest

from tests.test_settings import load


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SERVICE_CONTACT_EMAIL": "not an address"}, "SERVICE_CONTACT_EMAIL must be an email address"),
        ({"FEEDBACK_URL": "javascript:alert(1)"}, "FEEDBACK_URL must be an https:// address or a mailto: link"),
        ({"SERVICE_OWNER": "  "}, "SERVICE_OWNER must name the organisation"),
    ],
)
def test_a_bad_service_setting_stops_the_service(env, message):
    result = load(DJANGO_DEVELOPMENT="1", **env)
    assert result.returncode != 0 and message in result.stderr


def test_good_service_settings_start():
    result = load(
        DJANGO_DEVELOPMENT="1",
        SERVICE_OWNER="Ministry of Examples",
        SERVICE_CONTACT_EMAIL="grants@example.gov.uk",
        FEEDBACK_URL="https://surveys.example.gov.uk/grants",
    )
    assert result.returncode == 0, result.stderr
