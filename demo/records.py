"""The demo's records: the funder and other organisations, the demo users, the programme,
its rounds and themes, and the projects with their grants and allocations."""

from decimal import Decimal

from accounts.models import Role
from demo.datafile import BOOL, DATE, INT, MONEY, STR, Fields, Map, Nullable, read
from grants.models import (
    Grant,
    Organisation,
)
from projects.models import (
    Project,
    ProjectPartner,
)

# The tables are data (demo/data/); demo/datafile.py says how they are written and read.

DEMO_PASSWORD = "innovation-demo-2014"


def gbp(pounds) -> Decimal:
    return Decimal(pounds).quantize(Decimal("0.01"))


# --- Sources -----------------------------------------------------------------
# The publications the demo's real facts come from, by key (demo/data/sources.json);
# the other files name a source by its key.

SOURCES = read("sources.json", Map(STR, {"title": STR, "publisher": STR, "published_on": Nullable(DATE), "url": STR}))


def SOURCE(raw) -> str:
    """A key of sources.json, as the data files name a source."""
    key = STR(raw)
    if key not in SOURCES:
        raise ValueError(f"{key!r} is not a source in sources.json")
    return key


# --- Organisations -----------------------------------------------------------
# Local authorities come from load_authorities (GB-LAE-<code>); these are the others.
# The data names an organisation by its org-id, or, when it has no registered number, by
# its name: the loader gives it an identifier under the publisher's 360Giving prefix, so
# no number that only looks registered is ever published. The code names the two it uses.

DFE = "GB-GOR-D6"
# The source of every GB-LAE org-id (load_authorities reads mySociety's file).
AUTHORITY_CODES = "local-authority-codes"
# The evaluator is a fictional university (there is no University of Wessex).
EVALUATOR = "University of Wessex"

ORGANISATIONS = read(
    "organisations.json",
    [
        {
            "org_id": STR,
            "identifier_source": SOURCE,
            "name": STR,
            "short_name": STR,
            "kind": Organisation.Kind,
            "website": STR,
            "postcode": STR,
            "valid_to": DATE,
        }
    ],
)
for _organisation in ORGANISATIONS:
    # A registered number only with the publication that gives it; none is ever made up.
    if ("org_id" in _organisation) != ("identifier_source" in _organisation):
        raise ValueError(
            f"demo/data/organisations.json: {_organisation['name']} needs both an org_id and the "
            "identifier_source that publishes it, or neither"
        )


def org_ref(organisation: dict) -> str:
    """How the data files name an organisation of organisations.json: its org-id, or its name."""
    return organisation.get("org_id") or organisation["name"]


# --- Users -------------------------------------------------------------------

# (username, role, first name, last name, email, organisation, lead contact of the organisation)
DEMO_USERS = read(
    "users.json",
    [
        Fields(
            ("username", STR),
            ("role", Role),
            ("first_name", STR),
            ("last_name", STR),
            ("email", STR),
            ("organisation", Nullable(STR)),
            ("lead_contact", BOOL),
        )
    ],
)

# --- Programme, rounds, themes -------------------------------------------------
# "recorded_on" is the day the programme or a round was set up in the service.

PROGRAMME = read(
    "programme.json",
    {
        "code": STR,
        "name": STR,
        "description": STR,
        "budget": MONEY,
        "budget_is_illustrative": BOOL,
        "budget_source": SOURCE,
        "start_date": DATE,
        "end_date": DATE,
        "recorded_on": DATE,
    },
)

ROUNDS = read(
    "rounds.json",
    [
        {
            "number": INT,
            "name": STR,
            "description": STR,
            "budget": MONEY,
            "budget_is_illustrative": BOOL,
            "budget_source": SOURCE,
            "start_date": DATE,
            "end_date": DATE,
            "recorded_on": DATE,
        }
    ],
)

THEMES = read("themes.json", Map(STR, STR))

# --- Projects, their grants and allocations --------------------------------------
#
# Each grant names the publication its amount and recipient come from ("source", a key
# of sources.json), and marks what is not that publication's: "amount_is_illustrative"
# where the amount is approximated, "dates_are_illustrative" where the award and planned
# dates are invented (every grant's but one). Each project carries its round's dates in
# full (award_date, start, end) and its partners in full. Allocations, one per recipient
# and financial year, are invented splits of the award: a year's amount is whole pounds
# of resource (revenue), or a pair {"resource", "capital"}. "ratings" are the project's
# RAG ratings in the order given, each (day, rating, reason), the last the current one:
# all invented but the reasons DESIGN.md gives. A closed project's "closure_reason" goes
# to close_project, which checks that the money is settled.


def _pounds(raw):
    """A year's allocation: whole pounds of resource, or a (resource, capital) pair."""
    return Fields(("resource", INT), ("capital", INT))(raw) if isinstance(raw, dict) else INT(raw)


PROJECTS = read(
    "projects.json",
    [
        {
            "reference": STR,
            "round": INT,
            "title": STR,
            "summary": STR,
            "lead": STR,
            "partners": [Fields(("organisation", STR), ("role", ProjectPartner.Role))],
            "themes": [STR],
            "award_date": DATE,
            "start": DATE,
            "end": DATE,
            "status": Project.Status,
            "grant_status": Grant.Status,
            "closure_reason": STR,
            "ratings": [Fields(("day", DATE), ("rating", Project.Rag), ("reason", STR))],
            "amount": MONEY,
            "source": SOURCE,
            "amount_is_illustrative": BOOL,
            "dates_are_illustrative": BOOL,
            "grant_note": STR,
            "unallocated_reason": STR,
            "allocations": [Fields(("organisation", STR), ("purpose", STR), ("years", Map(INT, _pounds)))],
        }
    ],
)

for _project in PROJECTS:
    # A figure is the record's, with its source, or marked as invented: never neither.
    if "source" not in _project and not _project.get("amount_is_illustrative"):
        raise ValueError(
            f"demo/data/projects.json: {_project['reference']} needs a source for its amount, or amount_is_illustrative"
        )

PROJECT_DATA = {project["reference"]: project for project in PROJECTS}

# The differences reconciliation lists in the demo, each there on purpose and said so on
# its grant's page (its "grant_note"): (kind, project reference, difference).
DELIBERATE_DISCREPANCIES = read(
    "deliberate_discrepancies.json", [Fields(("kind", STR), ("project", STR), ("difference", MONEY))]
)
