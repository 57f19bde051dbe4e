"""The two ways a message leaves the service, chosen by settings.MESSAGE_BACKEND: GOV.UK Notify
(with NOTIFY_API_KEY) or Django's email backend (SMTP; the console in development). Each sends
one Message and returns the provider's reference for it, or raises."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from notifications_python_client.notifications import NotificationsAPIClient

from notifications.catalogue import Kind

# Notify answers a slow request in seconds; a longer wait is a fault, tried again later.
NOTIFY_TIMEOUT_SECONDS = 20


def check_template_ids() -> None:
    unknown = set(settings.NOTIFY_TEMPLATE_IDS) - set(Kind.values)
    if unknown:
        names = ", ".join(f"NOTIFY_TEMPLATE_ID_{name.upper()}" for name in sorted(unknown))
        raise ImproperlyConfigured(f"{names}: no kind of message has that name (see notifications/catalogue.py)")


def send_by_email(message) -> str:
    message_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.email],
        headers={"Message-ID": message_id},
    )
    email.send(fail_silently=False)
    return message_id


def send_by_notify(message) -> str:
    client = NotificationsAPIClient(
        settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=NOTIFY_TIMEOUT_SECONDS
    )
    template_id = settings.NOTIFY_TEMPLATE_IDS.get(message.kind)
    # A kind's own template uses the message's fields by name; the generic one only ((subject)) and ((body)).
    personalisation = {"subject": message.subject, "body": message.body}
    if template_id:
        personalisation = {**message.personalisation, **personalisation}
    response = client.send_email_notification(
        email_address=message.email,
        template_id=template_id or settings.NOTIFY_TEMPLATE_ID,
        personalisation=personalisation,
        reference=f"message-{message.pk}",
    )
    return str(response.get("id", ""))


def send(message) -> str:
    if settings.MESSAGE_BACKEND == "govuk_notify":
        return send_by_notify(message)
    return send_by_email(message)
