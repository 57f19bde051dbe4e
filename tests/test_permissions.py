"""Every URL pattern of the service, for every role and an outsider, against
objects inside and outside each user's scope.

The patterns are read from the URL resolver, so a new page cannot escape:
a pattern missing from EXPECTED fails the test. Object keyword arguments are
named after their model (project_pk, milestone_pk, ...), and each is filled
with an object inside the personas' scope (Reclaiming Social Work, led by
Morning Lane with Derbyshire and Harrow as partners) and one outside it
(Kent's project, which no recipient persona takes part in).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import User
from api.models import ApiToken
from core import worker
from downloads.models import ExportJob
from evaluations.models import EvaluationReport
from grants.models import Allocation, Payment, SpendReturn, Variation
from notifications.models import Message
from people.models import Invitation
from projects.models import EvidenceFile, Milestone, MilestoneSubmission, Project, ProjectPartner

PERSONAS = [
    "anonymous",
    "officer",
    "finance",
    "viewer",
    "admin",
    "morninglane",
    "derbyshire",
    "harrow",
    "evaluator",
    "outsider",
]
RECIPIENTS_AND_EVALUATOR = ["morninglane", "derbyshire", "harrow", "evaluator", "outsider"]
READERS = {"officer", "finance", "viewer", "admin"}
OFFICERS = {"officer", "admin"}
FUNDER_STAFF = {"officer", "finance", "admin"}
PUBLIC = {
    "home",
    "accounts:sign-in",
    "accounts:password-reset",
    "accounts:password-reset-sent",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
    "publish:index",
    "publish:360giving-json",
    "publish:360giving-xlsx",  # open data (issue 7)
    "money-glossary",
    "pages:help",
    "pages:accessibility",
    "pages:cookies",
    "pages:privacy",  # the pages every public-sector service must have (issue 20)
    "health",  # for monitors and load balancers: the state of each part, no data (issue 18)
    "people:invitation",  # an invitation link is opened by someone who has no account yet (issue 19)
}

# Who gets 200 on GET for the object inside the personas' scope (Derbyshire's
# side of Reclaiming Social Work). Everyone else gets 403 or 404, or, for a
# page that only takes a POST, 405 or a redirect back to the object's page.
EXPECTED = {
    "home": set(PERSONAS),  # the start page, or a redirect to the role's own start
    "money-glossary": set(PERSONAS),  # what each money figure means: words, no data
    "health": set(PERSONAS),  # open to monitors, no data (tests/ops/test_health.py)
    "pages:help": set(PERSONAS),  # help, the accessibility statement, cookies and privacy: words, no data
    "pages:accessibility": set(PERSONAS),
    "pages:cookies": set(PERSONAS),
    "pages:privacy": set(PERSONAS),
    "accounts:sign-in": set(PERSONAS),  # a signed-in user is sent on to their start page
    "accounts:sign-out": set(),  # POST only
    "accounts:password-change": set(PERSONAS) - {"anonymous"},
    "accounts:password-reset": set(PERSONAS),
    "accounts:password-reset-sent": set(PERSONAS),
    "accounts:password-reset-confirm": set(PERSONAS),
    "accounts:password-reset-complete": set(PERSONAS),
    # Anyone who turned two-factor on gives a code, whatever their role: sent on when none is owed.
    "accounts:two-factor": set(PERSONAS) - {"anonymous"},
    "accounts:two-factor-setup": FUNDER_STAFF,
    "accounts:two-factor-send-link": set(),  # POST only
    "accounts:two-factor-link": set(),  # a link names its token, and "token" here names none: 404
    "accounts:two-factor-recovery-codes": set(PERSONAS) - {"anonymous"},  # sent on when there are none to show
    "accounts:recovery-codes-renew": set(PERSONAS) - {"anonymous"},  # sent on without two-factor
    "accounts:lockouts": OFFICERS,
    "accounts:unlock": set(),  # POST only
    "projects:list": READERS,
    "projects:dashboard": READERS,
    "projects:yours": {"morninglane", "derbyshire", "harrow", "outsider"},
    "projects:create": OFFICERS,
    "projects:detail": READERS | {"morninglane", "derbyshire", "harrow", "evaluator"},
    "projects:history": READERS | {"morninglane", "derbyshire", "harrow"},
    "projects:edit": OFFICERS,
    "projects:status": OFFICERS,
    "projects:partner-add": OFFICERS,
    "projects:milestone-create": OFFICERS,
    "projects:milestone": READERS | {"morninglane", "derbyshire"},
    "projects:milestone-edit": OFFICERS,
    "projects:milestone-submit": set(),
    "projects:milestone-review": set(),
    "projects:evidence": READERS | {"morninglane", "derbyshire"},
    "grants:create": OFFICERS,
    "grants:detail": READERS | {"morninglane", "derbyshire", "harrow"},
    "grants:edit": OFFICERS,
    "grants:status": OFFICERS,
    "grants:allocation-create": OFFICERS,
    "grants:allocation": READERS | {"morninglane", "derbyshire"},
    "grants:allocation-edit": OFFICERS,
    "grants:payment-create": {"finance"},
    "grants:recovery-create": {"finance"},
    "grants:spend-return-create": {"derbyshire"},
    "grants:payments-waiting": READERS,
    "grants:reconciliation": READERS,
    "grants:variations": READERS,
    "grants:variation-decide": set(),  # POST only
    "grants:milestone-pay": {"finance"},
    "grants:spend-return-edit": {"derbyshire"},
    "grants:spend-return-review": set(),
    "evaluations:list": READERS,
    "evaluations:yours": {"evaluator"},
    "evaluations:detail": READERS | {"morninglane", "derbyshire", "harrow", "evaluator"},
    "evaluations:result-create": OFFICERS | {"evaluator"},
    "evaluations:result-edit": OFFICERS | {"evaluator"},
    "evaluations:report-upload": OFFICERS | {"evaluator"},
    "evaluations:report-download": READERS | {"morninglane", "derbyshire", "harrow", "evaluator"},
    # The evidence is rated by an officer or a reviewer named on the evaluation, never by its own
    # evaluator (issue 16): the evaluator persona carries out this one, so it is not found (404).
    "evaluations:rating": OFFICERS,
    # Each user's export lists only what that user may see (tests/ui/test_exports.py).
    "exports:projects-csv": set(PERSONAS) - {"anonymous"},
    "exports:projects-xlsx": set(PERSONAS) - {"anonymous"},
    # evaluations and impact (issue 6): an evaluator changes only its own evaluations;
    # a project's impact is for everyone who sees the project (money only for the
    # funder and the lead); the programme-wide report and the catalogue for funder staff.
    "evaluations:create": OFFICERS,
    "evaluations:edit": OFFICERS | {"evaluator"},
    "evaluations:measure-list": READERS,
    "evaluations:measure-create": OFFICERS,
    "evaluations:measure-edit": OFFICERS,
    "impact:report": READERS,
    "impact:project": READERS | {"morninglane", "derbyshire", "harrow", "evaluator"},
    "impact:card": READERS | {"morninglane", "derbyshire", "harrow", "evaluator"},
    # publish (issue 7): the 360Giving publication is open data for everyone, signed in or
    # not; it names organisations, places and money, never a person (tests/publish/).
    "publish:index": set(PERSONAS),
    "publish:360giving-json": set(PERSONAS),
    "publish:360giving-xlsx": set(PERSONAS),
    # reports (issue 5): the spending report covers the whole programme, so only the
    # funder's staff and viewers read it; its downloads are the same URL (tests/reports/).
    "reports:spending": READERS,
    "reports:index": READERS,
    # imports (issue 7): officers import a grant's allocations; officers and recipients
    # import spend returns (a recipient only its own organisation's, tests/imports/);
    # officers and the evaluation's evaluators import its outcome results. A
    # pending import is its uploader's alone, addressed by a random token: the "token" of
    # this table names none, so everyone gets 404 (the owner's 200 is in tests/imports/).
    "imports:allocations-upload": OFFICERS,
    "imports:allocations-template": OFFICERS,
    "imports:spend-returns-upload": OFFICERS | {"morninglane", "derbyshire", "harrow", "outsider"},
    "imports:spend-returns-template": OFFICERS | {"morninglane", "derbyshire", "harrow", "outsider"},
    "imports:results-upload": OFFICERS | {"evaluator"},  # an evaluator, only its own evaluations
    "imports:results-template": OFFICERS | {"evaluator"},
    "imports:batch": set(),
    "imports:batch-confirm": set(),
    "imports:batch-cancel": set(),
    # downloads (issue 8): the ledger is everyone's who sees money, scoped to what they
    # see; a background download is its owner's alone (Derbyshire's inside, Kent's outside).
    "downloads:ledger": READERS | {"morninglane", "derbyshire", "harrow", "outsider"},
    "downloads:ledger-csv": READERS | {"morninglane", "derbyshire", "harrow", "outsider"},
    "downloads:ledger-xlsx": READERS | {"morninglane", "derbyshire", "harrow", "outsider"},
    "downloads:job": {"derbyshire"},
    "downloads:job-file": {"derbyshire"},
    "downloads:job-again": set(),  # POST only: a failed job of one's own is asked for again
    # reports, board pack (issue 6): one PDF of the whole programme as at a day, for the
    # funder's staff and viewers; without a date it is the form (tests/reports/test_board_pack.py).
    "reports:board-pack": READERS,
    # search (issue 20): every signed-in user, finding only what each may see (tests/search/).
    "search": set(PERSONAS) - {"anonymous"},
    # the officers' list of submitted spend returns, linked from their task list (issue 20)
    "spend-returns-to-review": OFFICERS,
    "spend-returns-due": READERS | {"morninglane", "derbyshire", "harrow", "outsider"},
    # The API's token pages (issue 21): everyone signed in manages their own tokens; a token's "made" page
    # is its owner's alone (the key is shown once, from the session; later visits show only its details).
    "api:tokens": set(PERSONAS) - {"anonymous"},
    "api:token-create": set(PERSONAS) - {"anonymous"},
    "api:token-made": {"derbyshire"},
    "api:token-revoke": set(),  # POST only
    # messages (issue 19): the log of every message sent is the officers'; each person's own choices
    "notifications:log": OFFICERS,
    "notifications:send-again": set(),  # POST only
    "notifications:preferences": set(PERSONAS) - {"anonymous"},
    # people (issue 19): officers manage everyone; a council's lead contact (no persona here:
    # tests/people/ covers them) only its own grant recipients; an invitation link is public, and the
    # "token" of this table names none, so everyone gets the "not valid" page (200, like password reset).
    "people:list": OFFICERS,
    "people:invite": OFFICERS,
    "people:person": OFFICERS,
    "people:access": OFFICERS,
    "people:disable": set(),  # POST only
    "people:enable": set(),  # POST only
    "people:invitation-revoke": set(),  # POST only
    "people:invitation": set(PERSONAS),
    # setting up the programme (issue 20): the funder's staff and viewers read the lists and
    # pages; only programme officers add and change (tests/grants/test_setup_*.py,
    # tests/projects/test_setup_partners_and_themes.py).
    "setup:index": READERS,
    "setup:programmes": READERS,
    "setup:programme-create": OFFICERS,
    "setup:programme": READERS,
    "setup:programme-edit": OFFICERS,
    "setup:round-create": OFFICERS,
    "setup:round-edit": OFFICERS,
    "setup:organisations": READERS,
    "setup:organisation-create": OFFICERS,
    "setup:organisation": READERS,
    "setup:organisation-edit": OFFICERS,
    "setup:themes": READERS,
    "setup:theme-create": OFFICERS,
    "setup:theme-edit": OFFICERS,
    # A partner's role and dates changed, or a partner with nothing on record removed: the GET of
    # partner-remove is its confirmation page (or the reasons it must stay), so officers get 200.
    "projects:partner-edit": OFFICERS,
    "projects:partner-remove": OFFICERS,
}

# Pages that only take a POST, and who may send one.
POST_ONLY = {
    "accounts:sign-out": set(PERSONAS) - {"anonymous"},
    "accounts:unlock": OFFICERS,
    "accounts:two-factor-send-link": FUNDER_STAFF,
    "projects:milestone-submit": {"derbyshire"},
    "projects:milestone-review": OFFICERS,
    "grants:spend-return-review": OFFICERS,
    "grants:variation-decide": OFFICERS,
    "notifications:send-again": OFFICERS,
    "people:disable": OFFICERS,
    "people:enable": OFFICERS,
    "people:invitation-revoke": OFFICERS,
    "api:token-revoke": {"derbyshire"},
}


def service_patterns(patterns=None, prefix="", namespace=None):
    """(name, route, converters) for every pattern but the Django admin's and the API's, which have their own
    tests (the API's walk every operation of its description with each role's token: tests/api)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api-v1"):
                continue
            yield from service_patterns(
                pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern), pattern.pattern.converters


def fill(route, objects):
    path = route
    for key, value in objects.items():
        for converter in ("int:", "uuid:", "str:", ""):
            path = path.replace(f"<{converter}{key}>", str(value))
    assert "<" not in path, f"no object for a keyword argument in {route}"
    return "/" + path


@pytest.fixture
def scoped(world, settings, tmp_path):
    """The world, plus evidence, spend returns and reports on each side, and a worker seen (so /health/ is up)."""
    settings.MEDIA_ROOT = tmp_path
    worker.beat("permissions")
    sides = {}
    for side, milestone, allocation, evaluation, submitter in (
        (
            "inside",
            world.derbyshire_milestone,
            world.allocations["GB-LAE-DBY"],
            world.evaluation,
            world.users.derbyshire,
        ),
        ("outside", world.other_milestone, world.other_allocation, world.other_evaluation, world.users.kent),
    ):
        submission = MilestoneSubmission.objects.create(milestone=milestone, narrative="Done", submitted_by=submitter)
        evidence = EvidenceFile(
            submission=submission,
            original_name="evidence.pdf",
            content_type="application/pdf",
            size_bytes=9,
            sha256="0" * 64,
        )
        evidence.file.save("evidence.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        milestone.set_status(Milestone.Status.SUBMITTED, by=submitter)
        spend_return = SpendReturn.objects.create(
            allocation=allocation,
            quarter=1,
            spent=Decimal("1000.00"),
            forecast=Decimal("5000.00"),
            submitted_by=submitter,
        )
        report = EvaluationReport(
            evaluation=evaluation,
            title="Interim report",
            kind="interim",
            original_name="report.pdf",
            content_type="application/pdf",
            size_bytes=9,
        )
        report.file.save("report.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        variation = Variation.objects.create(
            grant=allocation.grant,
            allocation=allocation,
            amount_before=allocation.amount,
            amount_after=allocation.amount + 500000,
            resource_after=allocation.resource + 500000,
            capital_after=allocation.capital,
            reason="More families",
            requested_by=world.users.admin,
        )
        sides[side] = {
            "variation_pk": variation.pk,
            "project_pk": milestone.project_id,
            "grant_pk": allocation.grant_id,
            "allocation_pk": allocation.pk,
            "milestone_pk": milestone.pk,
            "evidence_pk": evidence.pk,
            "spend_return_pk": spend_return.pk,
            "evaluation_pk": evaluation.pk,
            "result_pk": (world.result if side == "inside" else world.other_result).pk,
            "report_pk": report.pk,
            "measure_pk": world.measure.pk,  # the catalogue is the programme's, not any project's
            "uidb64": "MQ",
            "token": "set-password",
            # A finished background download, Derbyshire's inside and Kent's outside.
            "job_pk": _finished_job(submitter).pk,
            # An API token: Derbyshire's inside, Kent's outside; only its owner finds either.
            "token_pk": ApiToken.issue(
                user=submitter, name=f"{side} feed", scope="read", expires_at=timezone.now() + timedelta(days=30)
            )[0].pk,
            # A failed message to Derbyshire's user inside, to Kent's outside: only officers find either.
            "message_pk": Message.objects.create(
                user=submitter,
                email=submitter.email,
                kind="payment_made",
                key=f"permissions:{side}",
                subject="A payment was made",
                body="Body",
                status="failed",
            ).pk,
            # People: Derbyshire's recipient and an invitation to Derbyshire inside; Kent's outside.
            "person_pk": submitter.pk,
            "invitation_pk": Invitation.new(
                email=f"{side}@example.gov.uk",
                role="recipient",
                organisation=allocation.recipient,
                invited_by=world.users.officer,
            )[0].pk,
            # Setting up the programme: programmes, rounds, organisations and themes are the whole
            # programme's; a partnership is of a project inside or outside the personas' scope.
            "programme_pk": world.programme.pk,
            "round_pk": world.round.pk,
            "organisation_pk": (world.derbyshire if side == "inside" else world.kent).pk,
            "theme_pk": world.theme.pk,
            "partnership_pk": (
                ProjectPartner.objects.get(project=world.project, organisation=world.derbyshire)
                if side == "inside"
                else ProjectPartner.objects.create(
                    project=world.other_project, organisation=world.university, role="delivery_partner"
                )
            ).pk,
        }
    return sides


def _finished_job(user):
    job = ExportJob(
        user=user, kind=ExportJob.Kind.LEDGER_CSV, status=ExportJob.Status.DONE, rows_total=1, rows_written=1
    )
    job.file.save("ledger.csv", ContentFile(b"\xef\xbb\xbfDate\r\n"), save=True)
    return job


def client_for(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world.users, persona))
    return client


def money_and_decisions():
    return (
        Payment.objects.count(),
        Allocation.objects.count(),
        SpendReturn.objects.count(),
        MilestoneSubmission.objects.count(),
        Project.objects.count(),
        list(Milestone.objects.order_by("pk").values_list("status", flat=True)),
        list(Variation.objects.order_by("pk").values_list("status", flat=True)),
        list(Message.objects.order_by("pk").values_list("status", "attempts")),
        list(User.objects.order_by("pk").values_list("is_active", "role", "organisation_id")),
        list(Invitation.objects.order_by("pk").values_list("used_at", "revoked_at")),
        ProjectPartner.objects.count(),
    )


def test_every_page_is_in_the_table():
    names = {name for name, _, _ in service_patterns()}
    assert names == set(EXPECTED), "add new pages to EXPECTED"


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_answers_each_persona_as_expected_inside_its_scope(client, world, scoped, persona):
    client = client_for(client, world, persona)
    wrong = []
    for name, route, _ in service_patterns():
        response = client.get(fill(route, scoped["inside"]))
        status = response.status_code
        if persona in EXPECTED[name]:
            ok = status == 200 or (
                status == 302
                and name
                in (
                    "home",
                    "accounts:sign-in",
                    "accounts:two-factor",
                    "accounts:two-factor-recovery-codes",
                    "accounts:recovery-codes-renew",
                )
            )
        elif persona == "anonymous":
            ok = status in (302, 405) and (status == 405 or "/account/sign-in/" in response["Location"])
        else:
            ok = status in (403, 404, 405) or (
                status == 302 and name in ("projects:milestone-submit", "projects:milestone-review")
            )
        if not ok:
            wrong.append((name, status))
    assert wrong == []


@pytest.mark.parametrize("persona", RECIPIENTS_AND_EVALUATOR)
def test_no_page_download_or_file_reaches_anyone_outside_its_scope(client, world, scoped, persona):
    client = client_for(client, world, persona)
    leaks = []
    for name, route, converters in service_patterns():
        if not converters or name in PUBLIC:
            continue
        for method in (client.get, client.post):
            status = method(fill(route, scoped["outside"])).status_code
            if status not in (403, 404, 405):
                leaks.append((name, method.__name__, status))
    assert leaks == []


def test_harrow_cannot_open_derbyshires_milestone_evidence_or_money(client, world, scoped):
    client.force_login(world.users.harrow)
    for name in (
        "projects:milestone",
        "projects:evidence",
        "grants:allocation",
        "grants:spend-return-edit",
        "projects:milestone-submit",
        "grants:spend-return-create",
    ):
        route = next(route for n, route, _ in service_patterns() if n == name)
        assert client.get(fill(route, scoped["inside"])).status_code == 404, name


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_post_by_anyone_not_allowed_changes_nothing(client, world, scoped, persona):
    """An empty POST to every page the persona may not use is refused and writes nothing."""
    client = client_for(client, world, persona)
    before = money_and_decisions()
    wrong = []
    for name, route, _ in service_patterns():
        if (
            name in PUBLIC
            or name == "accounts:password-change"
            or persona in EXPECTED[name] | POST_ONLY.get(name, set())
        ):
            continue
        response = client.post(fill(route, scoped["inside"]), {"decision": "accepted", "paid_on": "2016-01-15"})
        allowed_redirect = persona == "anonymous" and response.status_code == 302
        if response.status_code not in (403, 404, 405) and not allowed_redirect:
            wrong.append((name, response.status_code))
    assert wrong == []
    assert money_and_decisions() == before
