"""Which money figures of an allocation, or of several added up, have an invented (illustrative) demo row
behind them, for the mark beside each figure (core.templatetags.govuk).

The allocation's own flag marks what was allocated (resource, capital, allocated); the flags its kept
balance holds (grants.money.refresh_balance) mark net paid, committed and spent; a figure worked out
from these is marked when any of them is. Reads only what the page has loaded: the allocations with
their balances (``select_related("balance")``), so a page's queries do not grow with its rows.
"""

from django import template

from grants import money

register = template.Library()


def _allocations(subject) -> list:
    """The allocations of ``subject``: one allocation, a list of them, or the grant page's years (each a dict
    whose "allocations" are the year's)."""
    if isinstance(subject, dict):
        return _allocations(subject.get("allocations", []))
    if isinstance(subject, (list, tuple)):
        return [allocation for item in subject for allocation in _allocations(item)]
    return [subject] if subject else []


@register.filter
def marks(subject, returns=None) -> dict[str, bool]:
    """``{% with marks=allocation|marks %}``, then ``{% illustrative marks.paid %}``. Given one allocation's
    spend ``returns`` (already loaded for the page), its forecast (its latest return's) and variance too.
    Which figure follows from which is grants.money.illustrative_marks, shared with the API."""
    allocations = _allocations(subject)
    balances = [balance for balance in (getattr(a, "balance", None) for a in allocations) if balance]
    forecast = None
    if returns is not None:
        latest = max(returns, key=lambda spend_return: spend_return.quarter, default=None)
        forecast = bool(latest and latest.illustrative)
    return money.illustrative_marks(
        allocated=any(allocation.illustrative for allocation in allocations),
        paid=any(balance.invented_paid for balance in balances),
        committed=any(balance.invented_committed for balance in balances),
        spent=any(balance.invented_spent for balance in balances),
        forecast=forecast,
    )
