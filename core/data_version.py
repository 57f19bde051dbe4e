"""Whether data has changed, in one query: for pages and files that read the whole programme and are
the same for everyone who sees the whole programme, so that they are worked out once for each change
and served from the cache in between.

``stamp`` takes, for each table watched, the latest change (a modified time, or the highest id of a
table whose rows are only ever added, such as each audit history) and, where rows can be taken away
without an audit row, the number of rows. Every save and delete through the services, the forms, the
imports and the admin writes an audit history row, a status-change row, a log entry or a modified time,
so it moves the stamp. A change made around all of them (a bare UPDATE in a shell) does not: callers
cache for a bounded time whatever happens.
"""

import functools
import hashlib

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.db import connection

# However the data changes, nothing is served from the cache for longer than this.
CACHED_FOR = 10 * 60  # seconds


def stamp(watched) -> str:
    """``watched`` is (model, column that moves when a row is added or changed, whether rows can be
    taken away without an audit row); the answer changes whenever any of them does."""
    quote = connection.ops.quote_name
    parts = []
    for model, column, shrinks in watched:
        table = quote(model._meta.db_table)
        parts.append(f"(SELECT MAX({quote(column)}) FROM {table})")
        if shrinks:
            parts.append(f"(SELECT COUNT(*) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}")
        # With the database's name: two services sharing one Redis never take each other's answers.
        return f"{connection.settings_dict['NAME']}: {cursor.fetchone()!r}"


@functools.cache
def _programme_tables():
    """Every table of the money, the projects and the evidence: each audited model by its audit history
    (a row for every save and delete), the rest by their ids and, where they can be removed on their
    own, their counts. Kept balances by their latest change (indexed), as a balance brought back in
    step with its rows changes no other table. Worked out once a process: every cached page reads it,
    and each model's ``history`` builds a new manager class when it is read."""
    audited = []
    for app in ("grants", "projects", "evaluations"):
        for model in apps.get_app_config(app).get_models():
            if hasattr(model, "history"):
                audited.append((model.history.model, "history_id", False))
    get = apps.get_model
    return (
        *audited,
        (get("grants", "GrantStatusChange"), "id", False),
        (get("grants", "AllocationBalance"), "updated_at", False),
        (get("grants", "Variation"), "id", True),
        (get("grants", "Organisation"), "modified_at", True),
        (get("grants", "Source"), "modified_at", True),
        (get("projects", "ProjectStatusChange"), "id", False),
        (get("projects", "MilestoneStatusChange"), "id", False),
        (get("projects", "MilestoneSubmission"), "id", False),
        (get("projects", "MilestoneReview"), "id", False),
        (get("projects", "ProjectPartner"), "id", True),
        (get("projects", "Theme"), "id", True),
        (get("projects", "Project").themes.through, "id", True),
        (get("evaluations", "EvaluationStatusChange"), "id", False),
        (get("evaluations", "EvaluationReport"), "id", True),
        (get("evaluations", "OutcomeArea"), "id", True),
        (get("evaluations", "OutcomeMeasure"), "id", True),
        (get("evaluations", "Evaluation").projects.through, "id", True),
        (get("evaluations", "Evaluation").reviewers.through, "id", True),
        # Edits in the admin to rows that keep no time of change (a theme, a measure, a variation).
        (LogEntry, "id", False),
    )


def programme_stamp() -> str:
    """What the programme's data is now: changes whenever a grant, allocation, payment, spend return,
    variation, organisation, project, partner, milestone, evaluation, rating or result does."""
    return stamp(_programme_tables())


def for_everyone_who_sees(user, name: str, *key, build, at_most: int = CACHED_FOR):
    """What ``build()`` gives, worked out once for each change of the programme's data and shared by
    everyone with ``user``'s view of it: every officer, finance officer and viewer sees the whole
    programme, so they share one answer; anyone else has their own. ``name`` and ``key`` say what it
    is (a page, and its filters or its day); ``at_most`` is how many seconds it may be kept however
    the data changes."""
    scope = "programme" if user.sees_whole_programme else f"user-{user.pk}"
    what = repr((name, scope, key, programme_stamp()))
    cache_key = f"programme-data:{hashlib.sha256(what.encode('utf-8')).hexdigest()}"
    found = cache.get(cache_key)
    if found is None:
        found = build()
        cache.set(cache_key, found, at_most)
    return found
