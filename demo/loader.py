"""The demo programme: the Department for Education's Children's Social Care
Innovation Programme as DESIGN.md describes it, with enough money, milestones
and evidence to show every screen, one demo user per role and one for each lead
organisation (and two partner councils).

What is real carries its source (demo/data/sources.json, loaded as Source rows):
the funder, the programme and its rounds with their budgets, the projects, their
leads and partners, the amounts awarded, and the registered numbers of the
organisations that have one published. What is invented carries illustrative=True
so that the service can say so: Round 1's budget (an estimate), an approximated
award, award dates but one, how each grant is split between organisations and
financial years, milestones, payments, spend returns and every outcome figure. An
organisation with no registered number known takes an identifier under the
publisher's 360Giving prefix; no number is made up.

load_demo() matches every row on a natural key (org-id, programme code, project
reference, (grant, recipient, financial year), (project, title), username ...),
so running it again leaves the same rows. It runs in one transaction. Money and
decisions go through the services every other caller uses (grants.services,
projects.services, evaluations.services): allocations, milestones and their
commitments, payments within the grant's dates and the allocation's headroom, spend
returns, the recovery and the closure of a settled project, each keeping its
allocation's balance. So the demo obeys the same rules as a real programme; other
rows are full_clean()ed before they are saved. A payment or submission already on
record is never edited: money is corrected by new rows.

Things happen in the order of the story, each stamped with the day it happened
(its history rows too), so that figures "as at" a past date can be worked out.
"""

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from demo.common import _at, _Clock, _closed_on, _live_project, _project_events, _upsert
from demo.evidence import _load_evidence
from demo.money import (
    _close_projects,
    _load_allocation,
    _load_grant,
    _load_milestones,
    _load_payments,
    _load_recovery,
    _load_spend_returns,
)
from demo.records import (  # noqa: F401 (DELIBERATE_DISCREPANCIES: for the tests)
    AUTHORITY_CODES,
    DELIBERATE_DISCREPANCIES,
    DEMO_PASSWORD,
    DEMO_USERS,
    DFE,
    ORGANISATIONS,
    PROGRAMME,
    PROJECTS,
    ROUNDS,
    SOURCES,
    THEMES,
    gbp,
    org_ref,
)
from grants.financial_year import FinancialYear
from grants.models import (
    Allocation,
    Organisation,
    Payment,
    Programme,
    Round,
    Source,
)
from grants.org_ids import internal_id
from notifications.services import silenced
from projects.models import (
    Project,
    ProjectPartner,
    Theme,
)


def load_demo() -> str:
    """Load (or bring up to date) the demo programme; return a one-line summary. Its events happened
    years ago, so none of them becomes a message."""
    with silenced(), transaction.atomic():
        clock = _Clock()
        call_command("load_authorities", verbosity=0)
        sources = _load_sources()
        organisations = _load_organisations(sources)
        users = _load_users(organisations)
        programme = _load_programme(organisations, users, sources, clock)
        projects, grants, allocations = _load_projects(programme, organisations, users, sources, clock)
        _load_milestones(projects, allocations, organisations, users, clock)
        _load_payments(allocations, users, clock)
        _load_spend_returns(projects, allocations, users, clock)
        _load_recovery(allocations, users, clock)
        _close_projects(projects, grants, users, clock)
        _load_evidence(projects, organisations, users, clock)
    return (
        f"Loaded the demo programme {programme.name}: {len(projects)} projects, "
        f"{Allocation.objects.filter(grant__project__programme=programme).count()} allocations, "
        f"{Payment.objects.filter(allocation__grant__project__programme=programme).count()} payments."
    )


def sign_in_table() -> str:
    """The demo users held in the database, for people to sign in with."""
    usernames = [username for username, *_ in DEMO_USERS]
    held = {user.username: user for user in User.objects.filter(username__in=usernames).select_related("organisation")}
    if not held:
        return "No demo users are in this database."
    rows = [("Username", "Role", "Organisation")] + [
        (
            user.username,
            user.get_role_display() + (" (lead contact)" if user.is_lead_contact else ""),
            user.organisation.name if user.organisation else "",
        )
        for user in (held[name] for name in usernames if name in held)
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [f"Demo users (password: {DEMO_PASSWORD}):", ""]
    lines += ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _load_sources() -> dict[str, Source]:
    """Every publication the demo cites, by its key in sources.json."""
    sources = {}
    for key, values in SOURCES.items():
        values = dict(values)
        sources[key], _ = _upsert(
            Source, {"title": values.pop("title"), "published_on": values.pop("published_on")}, values
        )
    return sources


def _load_organisations(sources) -> dict[str, Organisation]:
    """The demo's organisations, by the name the data files give them (records.org_ref)."""
    organisations = {}
    for values in ORGANISATIONS:
        ref = org_ref(values)
        values = {"short_name": "", "valid_to": None, "website": "", "postcode": "", **values}
        # No registered number known: one under the publisher's prefix, never a made-up number.
        org_id = values.pop("org_id", None) or internal_id(values["name"])
        source = values.pop("identifier_source", None)
        values["identifier_source"] = sources[source] if source else None
        organisations[ref], _ = _upsert(Organisation, {"org_id": org_id}, values)
    # The local authorities' org-ids are the codes of mySociety's file that load_authorities reads.
    Organisation.objects.filter(org_id__startswith="GB-LAE-", identifier_source__isnull=True).update(
        identifier_source=sources[AUTHORITY_CODES], modified_at=timezone.now()
    )
    wanted = set(_named_refs()) - organisations.keys()
    found = {o.org_id: o for o in Organisation.objects.filter(org_id__in=wanted)}
    missing = sorted(wanted - found.keys())
    if missing:
        raise ValueError(f"The demo needs organisations load_authorities did not load: {', '.join(missing)}")
    return organisations | found


def _named_refs():
    yield from (u[5] for u in DEMO_USERS if u[5])
    for project in PROJECTS:
        yield project["lead"]
        yield from (org for org, _ in project["partners"])
        yield from (org for org, _, _ in project["allocations"])


def _load_users(organisations) -> dict[str, User]:
    # Set every time, so that the password the README and the command print stays true.
    # One hash for them all: the password is published anyway, and hashing is slow by design.
    password = make_password(DEMO_PASSWORD)
    users = {}
    for username, role, first_name, last_name, email, organisation, lead_contact in DEMO_USERS:
        users[username], _ = _upsert(
            User,
            {"username": username},
            {
                "role": role,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "organisation": organisations[organisation] if organisation else None,
                "is_active": True,
                "is_lead_contact": lead_contact,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
                "password": password,
            },
        )
    return users


def _load_programme(organisations, users, sources, clock) -> Programme:
    officer = users["officer"]
    values = dict(PROGRAMME)
    code, recorded_on = values.pop("code"), values.pop("recorded_on")
    values.update(funder=organisations[DFE], budget_source=sources[values["budget_source"]])
    with clock.on(_at(recorded_on)):
        programme, _ = _upsert(Programme, {"code": code}, values, by=officer)
    for values in ROUNDS:
        values = {**values, "budget_source": sources[values["budget_source"]]}
        number, recorded_on = values.pop("number"), values.pop("recorded_on")
        with clock.on(_at(recorded_on)):
            _upsert(Round, {"programme": programme, "number": number}, values, by=officer)
    for name, description in THEMES.items():
        _upsert(Theme, {"name": name}, {"description": description})
    return programme


def _load_projects(programme, organisations, users, sources, clock):
    officer = users["officer"]
    rounds = {r.number: r for r in programme.rounds.all()}
    themes = {t.name: t for t in Theme.objects.filter(name__in=THEMES)}
    projects, grants, allocations = {}, {}, {}
    for data in PROJECTS:
        awarded = _at(data["award_date"])
        with clock.on(awarded):
            # Rated later, as the project goes (_project_events).
            project, created = _upsert(
                Project,
                {"reference": data["reference"]},
                {
                    "programme": programme,
                    "title": data["title"],
                    "summary": data["summary"],
                    "lead_organisation": organisations[data["lead"]],
                    "start_date": data["start"],
                    "end_date": data["end"],
                },
                by=officer,
            )
            if created:
                project.record_initial_status(by=officer, when=awarded)
        for partner, role in data["partners"]:
            _upsert(
                ProjectPartner,
                {"project": project, "organisation": organisations[partner]},
                {"role": role, "joined_on": data["start"]},
            )
        project.themes.add(*(themes[name] for name in data["themes"]))

        source = sources[data["source"]] if "source" in data else None
        grant = _load_grant(project, rounds[data["round"]], data, source, officer, clock)
        for recipient, purpose, years in data["allocations"]:
            for year, pounds in years.items():
                resource, capital = pounds if isinstance(pounds, tuple) else (pounds, 0)
                allocations[data["reference"], recipient, year] = _load_allocation(
                    grant,
                    organisations[recipient],
                    FinancialYear(year),
                    gbp(resource),
                    gbp(capital),
                    purpose,
                    by=officer,
                    when=_at(data["award_date"], 12),
                    clock=clock,
                )
        # A closed project's later ratings wait for its closure (_close_projects).
        closes = _closed_on(data) if data["status"] == Project.Status.CLOSED else None
        _live_project(
            project,
            data,
            [e for e in _project_events(data) if closes is None or e[0] < closes],
            by=officer,
            clock=clock,
        )
        projects[data["reference"]] = project
        grants[data["reference"]] = grant
    return projects, grants, allocations
