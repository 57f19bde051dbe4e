"""Headless Chromium, from Debian's package, driven by Playwright for Python.

`make test` installs the package when it is missing; a browser download by
Playwright is not possible here, so the executable path is always given.
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def no_media_serving_by_the_live_server(monkeypatch):
    # Django's live server would serve MEDIA_ROOT at MEDIA_URL; the service never does.
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Chromium is missing: run `make test`, which installs Debian's chromium"
    # Playwright's sync API runs an event loop in this thread; the test still talks to the database.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_as(browser, live_server):
    """A fresh browser context per person, signed in through the sign-in page as a person would."""
    contexts = []
    console_errors = []

    def sign_in(username, password):
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        page.goto("/account/sign-in/")
        page.get_by_label("Username or email address").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        return page

    sign_in.console_errors = console_errors
    yield sign_in
    for context in contexts:
        context.close()
