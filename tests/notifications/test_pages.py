"""The officers' message log (/messages/) and each person's choices (/account/messages/)."""

import pytest
from django.urls import reverse

from notifications.catalogue import Kind
from notifications.models import Message
from notifications.services import notify

pytestmark = pytest.mark.django_db

LOG = reverse("notifications:log")
PREFERENCES = reverse("notifications:preferences")
INVITE = {"link": "http://127.0.0.1:8000/x/"}


def message(user, key, status=Message.Status.SENT, kind=Kind.INVITATION, error=""):
    made = notify(user=user, kind=kind, key=key, personalisation=INVITE)
    Message.objects.filter(pk=made.pk).update(status=status, last_error=error, sent_at=made.created_at)
    return made


@pytest.mark.parametrize("persona", ["finance", "viewer", "derbyshire", "evaluator", "outsider"])
def test_the_log_and_send_again_are_only_for_officers(world, client, persona):
    failed = message(world.users.harrow, "k", Message.Status.FAILED, error="SMTPServerDisconnected")
    client.force_login(getattr(world.users, persona))
    assert client.get(LOG).status_code == 403
    assert client.post(reverse("notifications:send-again", kwargs={"message_pk": failed.pk})).status_code == 403
    failed.refresh_from_db()
    assert failed.status == Message.Status.FAILED


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get(LOG).url.startswith(reverse("accounts:sign-in"))
    assert client.get(PREFERENCES).url.startswith(reverse("accounts:sign-in"))


def test_send_again_takes_only_a_post_and_a_real_message(world, client):
    failed = message(world.users.harrow, "k", Message.Status.FAILED)
    client.force_login(world.users.officer)
    assert client.get(reverse("notifications:send-again", kwargs={"message_pk": failed.pk})).status_code == 405
    assert client.post(reverse("notifications:send-again", kwargs={"message_pk": 999999})).status_code == 404


def test_the_log_filters_by_status_and_kind(world, client):
    message(world.users.harrow, "one", Message.Status.FAILED, error="Connection refused")
    message(world.users.derbyshire, "two", Message.Status.SENT)
    message(world.users.kent, "three", Message.Status.SENT, kind=Kind.PAYMENT_MADE)
    client.force_login(world.users.admin)
    page = client.get(LOG).content.decode()
    assert "3 messages" in page
    failed = client.get(LOG, {"status": "failed"}).content.decode()
    assert "1 message<" in failed and "harrow@example.gov.uk" in failed and "derbyshire@example.gov.uk" not in failed
    assert "Connection refused" in failed and "Send again" in failed
    paid = client.get(LOG, {"kind": "payment_made"}).content.decode()
    assert "kent@example.gov.uk" in paid and "harrow@example.gov.uk" not in paid
    assert "Send again" not in paid
    # Nonsense in the address is no error: it filters nothing out and says so.
    assert client.get(LOG, {"status": "nonsense", "kind": "x" * 500, "page": "-4"}).status_code == 200


def test_the_log_is_paged_with_constant_queries(world, client, django_assert_max_num_queries):
    client.force_login(world.users.officer)
    for number in range(3):
        message(world.users.harrow, f"few-{number}")
    with django_assert_max_num_queries(12) as few:
        client.get(LOG)
    for number in range(60):
        message(world.users.derbyshire, f"many-{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(LOG).content.decode()
    # 50 a page, newest first: the three older ones are on page 2.
    assert "63 messages" in page and page.count("derbyshire@example.gov.uk") == 50
    assert "harrow@example.gov.uk" in client.get(LOG, {"page": 2}).content.decode()


def test_a_council_user_chooses_optional_kinds_and_a_weekly_digest(world, client):
    client.force_login(world.users.derbyshire)
    page = client.get(PREFERENCES).content.decode()
    assert "Milestone evidence was accepted" in page and "A milestone is due in 14 days" in page
    required = page.split('id="required-kinds"')[1].split("</ul>")[0]
    assert "A payment was made" in required and "Milestone evidence was returned" in required
    assert 'value="payment_made"' not in page  # a required kind has no box to untick
    assert "Outcome results are due" not in page  # not a council's message

    wanted = ["milestone_due_14", "milestone_due_3", "spend_return_due_3"]
    response = client.post(PREFERENCES, {"wanted": wanted, "frequency": "weekly"})
    assert response.status_code == 302
    preference = world.users.derbyshire.message_preference
    preference.refresh_from_db()
    assert preference.switched_off == ["spend_return_due_14", "milestone_accepted"]
    assert preference.weekly
    page = client.get(PREFERENCES).content.decode()
    assert 'value="milestone_accepted">' in page and 'value="milestone_due_14" checked' in page
    assert 'value="weekly" checked' in page


def test_a_required_kind_cannot_be_switched_off_by_a_crafted_form(world, client):
    client.force_login(world.users.derbyshire)
    response = client.post(PREFERENCES, {"wanted": [], "frequency": "at_once", "switched_off": "payment_made"})
    assert response.status_code == 302
    assert "payment_made" not in world.users.derbyshire.message_preference.switched_off
    response = client.post(PREFERENCES, {"wanted": ["payment_made"], "frequency": "at_once"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()


def test_bad_choices_change_nothing(world, client):
    client.force_login(world.users.officer)
    response = client.post(PREFERENCES, {"wanted": ["submission_waiting"], "frequency": "hourly"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not hasattr(world.users.officer, "message_preference") or world.users.officer.message_preference.pk is None


def test_each_person_sees_only_their_own_latest_messages(world, client):
    message(world.users.harrow, "harrows")
    client.force_login(world.users.derbyshire)
    page = client.get(PREFERENCES).content.decode()
    assert "We have not sent you any messages yet." in page
    client.force_login(world.users.harrow)
    assert "You have been invited to use" in client.get(PREFERENCES).content.decode()


def test_the_links_in_the_header(world, client):
    client.force_login(world.users.officer)
    links = client.get(PREFERENCES).content.decode().split('id="message-links"')[1].split("</p>")[0]
    assert f'href="{PREFERENCES}"' in links and f'href="{LOG}"' in links
    client.force_login(world.users.harrow)
    links = client.get(PREFERENCES).content.decode().split('id="message-links"')[1].split("</p>")[0]
    assert f'href="{PREFERENCES}"' in links and f'href="{LOG}"' not in links
