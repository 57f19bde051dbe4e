"""The admin's tests sign in as a superuser; what they share to open and post its pages."""

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Role
from tests import factories as f


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def ids(models):
    return [model._meta.label for model in models]


@pytest.fixture
def superuser():
    return f.UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def client(client, superuser):
    client.force_login(superuser)
    return client


def as_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response, **fields):
    """What the page posts: the given fields and its inlines' management forms, unchanged."""
    data = dict(fields)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {f"{management.prefix}-{name}": value for name, value in management.initial.items()}
    return data
