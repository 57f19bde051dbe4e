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


# --- Organisations -----------------------------------------------------------
# Local authorities come from load_authorities (GB-LAE-<code>); these are the others.
# The code names the two it uses itself.

DFE = "GB-GOR-D6"
# The evaluator is a fictional university (there is no University of Wessex),
# with an invented UK provider reference number.
EVALUATOR = "GB-UKPRN-10099998"

ORGANISATIONS = read(
    "organisations.json",
    [{"org_id": STR, "name": STR, "short_name": STR, "kind": Organisation.Kind, "website": STR, "valid_to": DATE}],
)

# --- Users -------------------------------------------------------------------

# (username, role, first name, last name, email, organisation)
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
            "start_date": DATE,
            "end_date": DATE,
            "recorded_on": DATE,
        }
    ],
)

THEMES = read("themes.json", Map(STR, STR))

# --- Projects, their grants and allocations --------------------------------------
#
# Amounts awarded are the programme's (DESIGN.md); award dates are invented, so every
# grant's dates are marked illustrative, and its amount only where it is approximated.
# Each project carries its round's dates in full (award_date, start, end) and its
# partners in full. Allocations, one per recipient and financial year, are invented
# splits of the award: a year's amount is whole pounds of resource (revenue), or a pair
# {"resource", "capital"}. "ratings" are the project's RAG ratings in the order given,
# each (day, rating, reason), the last the current one: all invented but the reasons
# DESIGN.md gives. A closed project's "closure_reason" goes to close_project, which
# checks that the money is settled.


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
            "amount_is_approximate": BOOL,
            "grant_note": STR,
            "unallocated_reason": STR,
            "allocations": [Fields(("organisation", STR), ("purpose", STR), ("years", Map(INT, _pounds)))],
        }
    ],
)

PROJECT_DATA = {project["reference"]: project for project in PROJECTS}

# The differences reconciliation lists in the demo, each there on purpose and said so on
# its grant's page (its "grant_note"): (kind, project reference, difference).
DELIBERATE_DISCREPANCIES = read(
    "deliberate_discrepancies.json", [Fields(("kind", STR), ("project", STR), ("difference", MONEY))]
)
