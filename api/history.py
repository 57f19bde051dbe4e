"""The audit history says which changes came through the API, and with which token.

django-simple-history's HistoryRequestMiddleware already puts the request's user (for the API, the token's
owner, set by api.auth) on every history row; this adds the token, as the row's change reason, when the
row has no reason of its own. The history pages show the reason beside the person."""

from simple_history.models import HistoricalRecords

# history_change_reason is a CharField(max_length=100) on every historical model.
REASON_MAX = 100


def reason_for(api_token) -> str:
    """'Through the API (token “Finance feed”, mig_ab12cd34…)', the name shortened to fit the column."""
    start, end = "Through the API (token “", f"”, {api_token.prefix}…)"
    name = api_token.name
    room = REASON_MAX - len(start) - len(end)
    if len(name) > room:
        name = name[: room - 1] + "…"
    return f"{start}{name}{end}"


def current_reason() -> str | None:
    """The reason for the request being answered on this thread, if it came through the API."""
    request = getattr(HistoricalRecords.context, "request", None)
    api_token = getattr(request, "api_token", None)
    return reason_for(api_token) if api_token is not None else None


def name_the_token(sender, *, history_instance, **kwargs) -> None:
    """pre_create_historical_record receiver (connected in ApiConfig.ready)."""
    if history_instance.history_change_reason:
        return
    reason = current_reason()
    if reason:
        history_instance.history_change_reason = reason
