"""Version 1 of the API: one NinjaAPI, its routers, and its description at /api/v1/openapi.json."""

from ninja import NinjaAPI

from api import reads, writes

api = NinjaAPI(
    title="Manage innovation grants API",
    version="1",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
api.add_router("", reads.router)
api.add_router("", writes.router)
