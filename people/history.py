"""A person's access history: the changes to their access (people.AccessEvent, the invitation that
brought them included) and their sign-in security events (accounts.SecurityEvent), newest first."""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Q

from accounts.models import SecurityEvent
from people.models import AccessEvent

PER_PAGE = 25


@dataclass
class Entry:
    when: dt.datetime
    what: str
    by: str
    detail: str


def _access_entry(event: AccessEvent) -> Entry:
    if event.before and event.after:
        detail = f"{event.before} → {event.after}"
    else:
        detail = event.after or event.before
    return Entry(event.at, event.get_kind_display(), str(event.by) if event.by_id else "", detail)


def _security_entry(event: SecurityEvent) -> Entry:
    return Entry(event.at, event.get_kind_display(), str(event.by) if event.by_id else "", "")


class History:
    """The merged history as a paginator reads it: a count from each source, and a slice that reads
    only as many of each source's newest rows as it reaches, then merges them."""

    def __init__(self, person):
        self.access = (
            AccessEvent.objects.filter(Q(person=person) | Q(invitation__user=person))
            .select_related("by")
            .order_by("-at", "-pk")
        )
        self.security = SecurityEvent.objects.filter(user=person).select_related("by").order_by("-at", "-pk")

    def count(self) -> int:
        return self.access.count() + self.security.count()

    def __getitem__(self, part: slice) -> list[Entry]:
        stop = part.stop
        entries = [_access_entry(event) for event in self.access[:stop]]
        entries += [_security_entry(event) for event in self.security[:stop]]
        entries.sort(key=lambda entry: entry.when, reverse=True)  # stable: ties keep the order read
        return entries[part]


def history_page(person, number):
    return Paginator(History(person), PER_PAGE).get_page(number)
