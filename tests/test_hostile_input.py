"""No query parameter, however hostile, makes any page answer 500.

Every URL pattern the resolver knows is opened as an officer, as a council user
(Derbyshire) and anonymously, for the pages each may see. Which parameters a page
reads is recorded, not listed by hand: a test-only middleware swaps ``request.GET``
for a QueryDict that notes every key a view, filter, form or table asks for. Each
page then gets every hostile value in all the parameters it reads (and a list of
common names) at once, and each parameter it reads on its own with the worst values.
Exceptions are raised by the test client, so a crash shows its traceback.

The same runs on PostgreSQL (DATABASE_URL), where a NUL character in text raises
in the database driver rather than matching nothing as on SQLite.
"""

import pytest
from django.http import QueryDict

from tests.test_permissions import EXPECTED, PUBLIC, fill, scoped, service_patterns  # noqa: F401 (a fixture)

PERSONAS = ["officer", "derbyshire", "anonymous"]

# Names lists and reports take, or might one day; sent to every page whether or not it reads them.
COMMON = [
    "page",
    "per_page",
    "sort",
    "q",
    "format",
    "as_at",
    "date",
    "group",
    "year",
    "financial_year",
    "quarter",
    "status",
    "round",
    "organisation",
    "project",
    "programme",
    "grant",
    "theme",
    "rag",
    "partner",
    "lead_organisation",
    "authority",
    "authority_type",
    "min_rating",
    "outcome_area",
    "next",
]

HOSTILE = [
    "-1",
    "0",
    "9" * 400,
    "abc",
    "",
    "x" * 10_000,
    "\u017f",  # long s, which upper-cases to S
    "\u0131",  # dotless i, which upper-cases to I
    "\u0661\u0662",  # Arabic-Indic digits, which int() accepts
    "\u200f1\u200e",  # right-to-left and left-to-right marks
    "\U0001f4b7",  # an emoji
    "1\x00",
    "\x00",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "1e30",
    "NaN",
    "Infinity",
    "1.5",
    "2016-02-30",
    "0000-00-00",
    "99999-01-01",
    "31/02/2016",
]
# The worst of them, sent in each parameter on its own.
WORST = ["-1", "0", "9" * 400, "abc", "\x00", "1e30", "NaN", "2016-02-30", "\u0661"]


class RecordingQueryDict(QueryDict):
    """A QueryDict that notes each key read. Copying or encoding the whole query (a template's
    link to the next page) reads no key in particular, so is not noted."""

    reads: set[str] = set()

    def _note(self, key):
        RecordingQueryDict.reads.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


class RecordReads:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = RecordingQueryDict(request.META.get("QUERY_STRING", ""), encoding=request.encoding)
        return self.get_response(request)


def pages_for(persona, scoped):
    for name, route, _ in service_patterns():
        if persona == "anonymous" and name not in PUBLIC:
            continue
        if persona != "anonymous" and persona not in EXPECTED.get(name, ()):  # a page missing there fails there
            continue
        yield name, fill(route, scoped["inside"])


@pytest.fixture
def recording(settings):
    settings.MIDDLEWARE = ["tests.test_hostile_input.RecordReads", *settings.MIDDLEWARE]


def parameters_read(client, path):
    """The keys the page asks for; a dummy parameter makes a filter form bound, so it reads its fields."""
    RecordingQueryDict.reads = set()
    client.get(path, {"_": "1"})
    return RecordingQueryDict.reads - {"_"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_query_parameter_makes_any_page_fail(client, world, scoped, recording, persona):
    if persona != "anonymous":
        client.force_login(getattr(world.users, persona))
    failures = []

    def check(path, params):
        shown = {key: (value[:20] if isinstance(value, str) else value) for key, value in params.items()}
        try:
            status = client.get(path, params).status_code
        except Exception as error:  # the traceback is in the captured log
            failures.append((path, shown, f"{type(error).__name__}: {str(error)[:200]}"))
        else:
            if status >= 500:
                failures.append((path, shown, status))

    read_anywhere = set()
    for name, path in pages_for(persona, scoped):
        read = parameters_read(client, path)
        read_anywhere |= read
        names = sorted(read | set(COMMON))
        for value in HOSTILE:
            check(path, dict.fromkeys(names, value))
        check(path, {name: ["1", "2"] for name in names})  # each parameter twice
        for name in sorted(read):
            for value in WORST:
                check(path, {name: value})
            check(path, {name: ["1", WORST[2]]})  # twice, the second huge

    assert failures == [], "\n".join(map(str, failures))
    if persona == "officer":
        # The recording works: the list reads its filters and its table's paging and sorting.
        assert {"page", "sort", "q", "round", "format", "as_at", "date"} <= read_anywhere
        assert "per_page" not in read_anywhere  # a page's size is the service's (ui/paging.py)


def test_a_nul_character_in_a_query_or_form_field_is_a_bad_request(client, world):
    client.force_login(world.users.officer)
    assert client.get("/projects/", {"q": "social\x00work"}).status_code == 400
    assert client.get("/projects/", {"q\x00": "1"}).status_code == 400
    response = client.post("/projects/new/", {"title": "Family\x00hubs"})
    assert response.status_code == 400
    assert b"could not understand that request" in response.content


def test_a_bare_word_as_next_is_an_address_not_the_name_of_a_page(client, world):
    # redirect(next) once took ?next=abc for the name of a URL pattern: NoReverseMatch, a 500.
    client.force_login(world.users.officer)
    for page in ("/account/two-factor/", "/account/sign-in/"):
        response = client.get(page, {"next": "abc"})
        assert response.status_code == 302 and response["Location"] == "abc", page
