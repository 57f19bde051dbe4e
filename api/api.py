"""Version 1 of the API: one NinjaAPI, its routers, and its description at /api/v1/openapi.json."""

from ninja import NinjaAPI
from ninja.operation import PathView

from api import errors, reads, writes
from api.auth import read_token

DESCRIPTION = """\
The programme's grants, money, work and evidence for finance systems, case systems and dashboards:
the same objects, scopes, services and money rules as the service's pages.

**Tokens.** Make a token on the page *API tokens* in your account (/account/api-tokens/) and send it on
every request as `Authorization: Bearer mig_...`. A token sees exactly what its owner sees on the pages
(anything else answers 404). A read-only token reads; a read-and-write token (grant recipients and
finance officers) may also write, as its owner's role allows.

**Money** is a decimal string in pounds with two places, such as `"1234.50"`, never a number, so no
penny is lost to floating point.

**Paging.** Lists answer `{"items": [...], "next_cursor": "..."}`, in the order the objects were made.
Pass `next_cursor` back as `cursor` for the next page; it is null on the last page. `limit` is 1-200
(50 if left out). Objects added while you page never make you see an object twice or miss one.

**Idempotency.** Send an `Idempotency-Key` header (any 1-255 printable characters, such as a UUID) with
each write. A retry with the same key and the same request gets the first answer again, with the header
`Idempotent-Replayed: true`, and the write is done once. The same key with a different request is
refused (422); while the first is still running, a retry is refused (409). Keys are kept for 24 hours.

**Rate limits.** Each token may make a set number of requests a minute (120 unless the service says
otherwise). Past it the answer is 429 with `Retry-After` in seconds.

**Errors** are RFC 9457 problems (`application/problem+json`): `type`, `title`, `status`, `detail` and
`errors`, a list of `{"field": ..., "message": ...}` naming the field at fault (null for the request
as a whole).
"""


class Api(NinjaAPI):
    """The NinjaAPI with the service's problems documented on every operation, and answers no cache keeps."""

    def set_default_exception_handlers(self):
        super().set_default_exception_handlers()
        errors.install(self)

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        return errors.document(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))

    def create_response(self, request, data, *, status=None, temporal_response=None):
        return errors.private(
            super().create_response(request, data, status=status, temporal_response=temporal_response)
        )

    def create_temporal_response(self, request):
        return errors.private(super().create_temporal_response(request))

    def on_exception(self, request, exc):
        return errors.private(super().on_exception(request, exc))


api = Api(
    title="Manage innovation grants API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=read_token,
)


def _one_path_view_per_path(*routers):
    """The reads' and the writes' operations of one path (GET and POST /spend-returns) in one PathView: ninja
    makes a URL pattern per router, and Django stops at the first, so the other router's method would get 405."""
    first, *others = routers
    for router in others:
        for path, path_view in router.path_operations.items():
            target = first.path_operations.setdefault(path, PathView())
            target.operations.extend(path_view.operations)
            target.is_async = target.is_async or path_view.is_async
        router.path_operations.clear()
    return first


api.add_router("", _one_path_view_per_path(reads.router, writes.router))
