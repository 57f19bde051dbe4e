"""Search: one box that finds projects, milestones, organisations, grants and documents by name.

Each kind is read through its model's ``for_user`` queryset, so a search finds exactly what the
user's lists and pages show: a council never finds another council's milestone or evidence. On
PostgreSQL the words are matched by full-text search (English stemming, ranked), and a reference or
part of a name by a plain contains match beside it, since the full-text parser splits "RSW-01" and
drops fragments such as "Derby". SQLite has no full-text search here: every word must appear, in
any case, in one of the kind's fields.

Each kind costs one query whatever it finds: the count of matches rides on each row as a window."""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, F, Q, Window
from django.urls import reverse

from evaluations.models import EvaluationReport
from grants.models import Grant, Organisation
from projects.models import EvidenceFile, Milestone, Project, ProjectPartner

MAX_LENGTH = 200
PER_KIND = 20
# A word is a run of letters or digits in any script; a query without one names nothing.
WORD = re.compile(r"\w+")


class BadQuery(ValueError):
    """A query that cannot be searched for, with the message that says what to type instead."""


@dataclass
class Hit:
    title: str
    url: str | None
    detail: str = ""


@dataclass
class Found:
    """One kind's matches: the first ``PER_KIND`` of ``count``."""

    kind: str
    slug: str
    hits: list[Hit] = field(default_factory=list)
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.hits)


def clean_query(text: str) -> str:
    """The query as it is searched for, or ``BadQuery`` saying what is wrong with it."""
    text = " ".join(text.split())
    if len(text) > MAX_LENGTH:
        raise BadQuery(f"Search for {MAX_LENGTH} characters or fewer: a name, a reference or a few words from them.")
    if text and not WORD.search(text):
        raise BadQuery("Search for letters or numbers: a name, a reference or a few words from them.")
    return text


def _matching(queryset, text: str, *, words: tuple[str, ...], codes: tuple[str, ...]):
    """``queryset`` cut to the rows that match ``text``, best first, each with ``total``, the number that match.

    ``words`` are the fields of prose, matched by full text on PostgreSQL; ``codes`` the names and
    references, also matched by a contains match there, so a reference or part of a name is found
    as typed. SQLite matches every word of the text against all of them."""
    fields = (*codes, *words)
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config="english", search_type="websearch")
        vector = SearchVector(*fields, config="english")
        contains = Q()
        for name in codes:
            contains |= Q(**{f"{name}__icontains": text})
        queryset = (
            queryset.annotate(search=vector)
            .annotate(rank=SearchRank(F("search"), query))
            .filter(Q(search=query) | contains)
            .order_by("-rank", *queryset.model._meta.ordering)
        )
    else:
        for word in WORD.findall(text):
            anywhere = Q()
            for name in fields:
                anywhere |= Q(**{f"{name}__icontains": word})
            queryset = queryset.filter(anywhere)
    return queryset.annotate(total=Window(Count("pk")))


def _found(kind: str, slug: str, rows, hit) -> Found:
    rows = list(rows[:PER_KIND])
    return Found(kind, slug, [hit(row) for row in rows], rows[0].total if rows else 0)


def _visible_organisations(user):
    """Whom the user may see named: the funder's staff and viewers everyone; anyone else their own
    organisation and the leads and partners of the projects they see, as the project pages show them."""
    if user.sees_whole_programme:
        return Organisation.objects.all()
    projects = Project.objects.for_user(user)
    return Organisation.objects.filter(
        Q(pk=user.organisation_id)
        | Q(pk__in=projects.values("lead_organisation"))
        | Q(pk__in=ProjectPartner.objects.filter(project__in=projects).values("organisation"))
    )


def _grant_url(user, grant) -> str:
    # An evaluator reads a project, not its money: the grant's page is not theirs, its project's is.
    if user.is_evaluator:
        return reverse("projects:detail", kwargs={"project_pk": grant.project_id})
    return reverse("grants:detail", kwargs={"grant_pk": grant.pk})


def search(user, text: str) -> list[Found]:
    """Everything of each kind named by ``text`` (a query ``clean_query`` passed) that ``user`` may see."""
    projects = _matching(
        Project.objects.for_user(user).select_related("lead_organisation"),
        text,
        codes=("reference", "title"),
        words=("summary",),
    )
    milestones = _matching(
        Milestone.objects.for_user(user).select_related("project", "organisation"),
        text,
        codes=("title",),
        words=("description",),
    )
    organisations = _matching(_visible_organisations(user), text, codes=("name", "short_name", "org_id"), words=())
    grants = _matching(
        Grant.objects.for_user(user).select_related("project"),
        text,
        codes=("title", "ggis_award_reference"),
        words=(),
    )
    evidence = _matching(
        EvidenceFile.objects.for_user(user).select_related("submission__milestone__project"),
        text,
        codes=("original_name",),
        words=(),
    )
    reports = _matching(
        EvaluationReport.objects.for_user(user).select_related("evaluation"),
        text,
        codes=("title", "original_name"),
        words=(),
    )
    return [
        _found(
            "Projects",
            "projects",
            projects,
            lambda project: Hit(
                f"{project.reference} {project.title}",
                reverse("projects:detail", kwargs={"project_pk": project.pk}),
                f"Led by {project.lead_organisation.name}",
            ),
        ),
        _found(
            "Milestones",
            "milestones",
            milestones,
            lambda milestone: Hit(
                milestone.title,
                reverse("projects:milestone", kwargs={"milestone_pk": milestone.pk}),
                f"{milestone.project.reference} {milestone.project.title}: {milestone.organisation.name}, "
                f"due {milestone.due_date:%-d %B %Y}",
            ),
        ),
        # No page shows one organisation, so an organisation is named, not linked.
        _found(
            "Organisations",
            "organisations",
            organisations,
            lambda organisation: Hit(
                organisation.name, None, f"{organisation.get_kind_display()}, {organisation.org_id}"
            ),
        ),
        _found(
            "Grants",
            "grants",
            grants,
            lambda grant: Hit(
                grant.title,
                _grant_url(user, grant),
                " ".join(filter(None, (grant.project.reference, grant.ggis_award_reference))),
            ),
        ),
        # A document links to the page that lists it with its download, as its milestone or evaluation shows it.
        _found(
            "Milestone evidence",
            "evidence",
            evidence,
            lambda file: Hit(
                file.original_name,
                reverse("projects:milestone", kwargs={"milestone_pk": file.submission.milestone_id}),
                f"Evidence for {file.submission.milestone.title} ({file.submission.milestone.project.reference})",
            ),
        ),
        _found(
            "Evaluation reports",
            "reports",
            reports,
            lambda report: Hit(
                report.title,
                reverse("evaluations:detail", kwargs={"evaluation_pk": report.evaluation_id}),
                f"{report.get_kind_display()} of {report.evaluation.title}",
            ),
        ),
    ]
