"""An invitation: sent by email with a link that works once, lapses, can be withdrawn, shows who
invited whom to do what, and makes the account (with two-factor set-up next for funder staff)."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Role, SecurityEvent, User
from notifications.models import Message
from people.models import AccessEvent, Invitation
from tests.people.conftest import INVITE, accept


def test_an_officer_invites_and_the_email_holds_the_link(world, send_invitation):
    response, link = send_invitation(
        world.users.officer, email="Priya.Shah@Harrow.example.gov.uk", role="recipient", organisation=world.harrow.pk
    )
    assert response.status_code == 302 and response.url == "/people/"
    invitation = Invitation.objects.get()
    assert invitation.email == "priya.shah@harrow.example.gov.uk"
    assert (invitation.role, invitation.organisation, invitation.invited_by) == (
        Role.RECIPIENT,
        world.harrow,
        world.users.officer,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["priya.shah@harrow.example.gov.uk"]
    assert "Officer Tester (Department for Education) has invited you" in message.body
    assert "London Borough of Harrow" in message.body and "grant recipient" in message.body
    assert link and link.startswith("/invitation/")
    # Only a hash of the token is kept, and the message log keeps no copy of the link once it is sent.
    token = link.split("/")[2]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    sent = Message.objects.get(kind="invitation")
    assert sent.status == Message.Status.SENT and sent.email == "priya.shah@harrow.example.gov.uk"
    assert token not in sent.body and token not in str(sent.personalisation)
    assert "(the link is not kept once the message is sent)" in sent.body


def test_the_link_shows_who_invited_them_and_makes_the_account_once(world, send_invitation):
    _, link = send_invitation(
        world.users.officer, email="priya@harrow.example.gov.uk", role="recipient", organisation=world.harrow.pk
    )
    visitor = Client()
    page = visitor.get(link).content.decode()
    assert "Officer Tester (Department for Education) has invited you" in page
    assert "London Borough of Harrow" in page and "Grant recipient" in page and "priya@harrow.example.gov.uk" in page

    response = accept(visitor, link, username="priya.shah")
    assert response.status_code == 302
    user = User.objects.get(username="priya.shah")
    assert (user.email, user.role, user.organisation, user.get_full_name()) == (
        "priya@harrow.example.gov.uk",
        Role.RECIPIENT,
        world.harrow,
        "Priya Shah",
    )
    assert user.check_password("correct-horse-battery-9")
    assert visitor.session["_auth_user_id"] == str(user.pk)  # signed in
    assert Invitation.objects.get().user == user and Invitation.objects.get().used_at is not None

    # The second use makes nothing, whoever opens it.
    again = Client()
    page = again.get(link).content.decode()
    assert "This invitation has been used" in page and "Create my account" not in page
    response = accept(again, link, username="someone.else")
    assert "This invitation has been used" in response.content.decode()
    assert User.objects.filter(email="priya@harrow.example.gov.uk").count() == 1
    assert not User.objects.filter(username="someone.else").exists()


def test_without_a_username_the_email_address_signs_in(world, send_invitation):
    _, link = send_invitation(world.users.officer, email="jo.bloggs@example.ac.uk", role="evaluator", organisation="")
    accept(Client(), link)
    user = User.objects.get(email="jo.bloggs@example.ac.uk")
    assert user.username == "jo.bloggs" and user.role == Role.EVALUATOR and user.organisation is None
    signed = Client()
    response = signed.post(
        "/account/sign-in/", {"username": "Jo.Bloggs@example.ac.uk", "password": "correct-horse-battery-9"}
    )
    assert response.status_code == 302 and signed.session["_auth_user_id"] == str(user.pk)


def test_an_expired_link_makes_nothing(world, send_invitation):
    _, link = send_invitation(world.users.officer, email="late@example.gov.uk", role="viewer", organisation="")
    Invitation.objects.update(
        created_at=timezone.now() - dt.timedelta(days=8), expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    visitor = Client()
    assert "This invitation has expired" in visitor.get(link).content.decode()
    response = accept(visitor, link)
    assert "This invitation has expired" in response.content.decode()
    assert not User.objects.filter(email="late@example.gov.uk").exists()


def test_the_link_lasts_the_configured_number_of_days(world, send_invitation, settings):
    settings.INVITATION_LIFETIME = dt.timedelta(days=3)
    send_invitation(world.users.officer, email="soon@example.gov.uk", role="viewer", organisation="")
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=3)


def test_a_withdrawn_invitation_makes_nothing(client, world, send_invitation):
    _, link = send_invitation(world.users.officer, email="gone@example.gov.uk", role="viewer", organisation="")
    invitation = Invitation.objects.get()
    client.force_login(world.users.officer)
    page = client.get("/people/").content.decode()
    assert "gone@example.gov.uk" in page and "Withdraw" in page
    response = client.post(f"/people/invitations/{invitation.pk}/withdraw/", follow=True)
    assert "The invitation to gone@example.gov.uk was withdrawn" in response.content.decode()
    assert "gone@example.gov.uk" not in client.get("/people/").content.decode()  # no longer waiting

    visitor = Client()
    assert "This invitation was withdrawn" in visitor.get(link).content.decode()
    accept(visitor, link)
    assert not User.objects.filter(email="gone@example.gov.uk").exists()
    invitation.refresh_from_db()
    assert invitation.revoked_by == world.users.officer
    assert AccessEvent.objects.filter(invitation=invitation, kind="invitation_revoked", by=world.users.officer).exists()


def test_an_unknown_link_says_so(client, db):
    response = client.get("/invitation/not-a-real-token/")
    assert response.status_code == 200
    assert "This invitation link is not valid" in response.content.decode()


def test_an_address_with_an_account_or_a_waiting_invitation_is_refused(client, world, send_invitation):
    response, _ = send_invitation(
        world.users.officer, email="HARROW@example.gov.uk", role="recipient", organisation=world.harrow.pk
    )
    assert response.status_code == 200
    assert "There is already an account for this email address" in response.content.decode()
    assert not Invitation.objects.exists() and mail.outbox == []

    send_invitation(world.users.officer, email="new@example.gov.uk", role="viewer", organisation="")
    response, _ = send_invitation(world.users.officer, email="new@example.gov.uk", role="finance", organisation="")
    assert "An invitation to this address is waiting to be accepted" in response.content.decode()
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"password1": "short", "password2": "short"}, "This password is too short"),
        ({"password1": "correct-horse-battery-9", "password2": "different-horse-9"}, "The two passwords do not match"),
        ({"username": "has space"}, "A username may hold only letters a to z"),
        ({"username": "harrow"}, "That username is taken"),
        ({"first_name": ""}, "This field is required"),
    ],
)
def test_bad_account_details_are_refused_and_the_link_still_works(world, send_invitation, data, message):
    _, link = send_invitation(world.users.officer, email="careful@example.gov.uk", role="viewer", organisation="")
    visitor = Client()
    response = accept(visitor, link, **data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not User.objects.filter(email="careful@example.gov.uk").exists()
    assert Invitation.objects.get().used_at is None
    assert accept(visitor, link).status_code == 302


def test_someone_signed_in_is_asked_to_sign_out_and_the_link_is_kept(client, world, send_invitation):
    _, link = send_invitation(world.users.officer, email="other@example.gov.uk", role="viewer", organisation="")
    client.force_login(world.users.harrow)
    page = client.get(link).content.decode()
    assert "You are already signed in" in page
    client.post(link, {"first_name": "A", "last_name": "B", "password1": "x", "password2": "x"})
    assert Invitation.objects.get().used_at is None


def test_funder_staff_go_straight_on_to_set_up_two_factor(world, send_invitation, settings):
    _, link = send_invitation(
        world.users.officer, email="new.officer@education.gov.uk", role="finance", organisation=world.dfe.pk
    )
    # As outside development: staff must use two-factor, and set-up needs a link sent to their email.
    settings.TWO_FACTOR_REQUIRED = True
    settings.TWO_FACTOR_ENROLMENT_LINK = True
    visitor = Client()
    assert "Next you will set up two-factor sign-in" in visitor.get(link).content.decode()
    response = accept(visitor, link, follow=True)
    user = User.objects.get(email="new.officer@education.gov.uk")
    assert response.redirect_chain[-1][0].startswith("/account/two-factor/setup/")
    page = response.content.decode()
    assert 'id="secret-key"' in page  # the QR code and key: set-up is open, no further link asked for
    assert SecurityEvent.objects.filter(user=user, kind="enrolment_link_used").exists()


def test_inviting_from_the_page_then_the_list_shows_the_invitation(client, world):
    client.force_login(world.users.officer)
    page = client.get(INVITE).content.decode()
    assert "Programme officer" in page and "Administrator" not in page  # admins are not made by invitation
    assert 'name="organisation"' in page
