"""Cursor paging for the API's lists: keyset on the primary key, never OFFSET.

A page is the next `limit` rows whose id is above the last id the client saw, so a row inserted while a
client pages through a list never pushes another row onto the next page (as OFFSET would) and never makes
the client see a row twice. The cursor is that last id, signed and base64-encoded: it is opaque to the
client, and a forged one is refused. Even a forged id could not widen what a client sees, because the
page is cut from the queryset the operation already scoped to the token's owner (`for_user`)."""

import base64
import binascii
from typing import Any

from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.pagination import PaginationBase

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_signer = signing.Signer(salt="api.paging.cursor")


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(_signer.sign(str(pk)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor stands for; a ninja ValidationError naming the `cursor` parameter when it was not one
    this API made, which the API answers with a 422 problem, not a 500."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(_signer.unsign(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")))
    except (ValueError, UnicodeError, binascii.Error, signing.BadSignature):
        raise ValidationError(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": "Not a cursor from this API: start again without one, then pass each next_cursor back.",
                    "type": "cursor_invalid",
                }
            ]
        ) from None


class CursorPagination(PaginationBase):
    """`@paginate(CursorPagination)` on a list operation that returns a QuerySet."""

    class Input(Schema):
        cursor: str | None = Field(
            None,
            max_length=200,
            description="The `next_cursor` of the previous page; leave out for the first page.",
        )
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items a page holds (1-200).")

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None = Field(
            ..., description="Pass as `cursor` to get the next page; null on the last page."
        )

    items_attribute = "items"

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        queryset = queryset.order_by("pk")
        if pagination.cursor:
            queryset = queryset.filter(pk__gt=decode_cursor(pagination.cursor))
        # One row more than the page: whether it exists says whether there is a next page, without a COUNT.
        rows = list(queryset[: pagination.limit + 1])
        items = rows[: pagination.limit]
        more = len(rows) > pagination.limit
        return {"items": items, "next_cursor": encode_cursor(items[-1].pk) if more else None}
