"""Every refusal and failure of the API in one shape: an RFC 9457 problem (application/problem+json)
with the HTTP status, a title, a detail a person can act on, and `errors`, each naming the field at fault
(null for a fault of the whole request). Operations raise what the pages raise (Http404, PermissionDenied,
ValidationError and MoneyRuleError from the services); the handlers here turn each into its problem."""

import json
import logging
from http import HTTPStatus

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# The statuses every operation may answer with a problem, documented on each in the OpenAPI description.
PROBLEM_STATUSES = (400, 401, 403, 404, 409, 422, 429)


class ProblemError(Schema):
    field: str | None
    message: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemError] = []


def private(response: HttpResponse) -> HttpResponse:
    """What a token reads or writes is its owner's alone: no proxy or shared cache may keep it. (The pages get this
    from core.middleware.PrivateResponses, which sees only session sign-ins.)"""
    patch_cache_control(response, private=True, no_store=True)
    return response


def problem(
    status: int, detail: str, *, errors: list[dict] | None = None, type: str = "about:blank", title: str = ""
) -> HttpResponse:
    body = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def _field_from_loc(loc) -> str | None:
    # ninja puts where the value came from first ("body", "query", "path", "form", "file"); a client knows
    # the field by its name alone. A body schema's parameter name (ninja's "payload" wrapper) is not a field.
    parts = [str(part) for part in loc[1:]]
    if len(parts) > 1 and loc[0] in ("body", "form", "file"):
        parts = parts[1:]
    return ".".join(parts) or None


def _ninja_validation(request, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        if "loc" in error:
            errors.append({"field": _field_from_loc(error["loc"]), "message": str(error.get("msg", "Not valid"))})
        else:  # ninja's own short form, {"name": "message"}
            errors.extend({"field": str(name), "message": str(message)} for name, message in error.items())
    return problem(
        422,
        "The request has values that are missing or not valid: see errors.",
        errors=errors,
        type="urn:mig:problem:validation",
    )


def _django_validation(request, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": None if field == NON_FIELD_ERRORS else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": None, "message": message} for message in exc.messages]
    detail = errors[0]["message"] if len(errors) == 1 else "The request breaks the rules: see errors."
    return problem(422, detail, errors=errors, type="urn:mig:problem:validation")


def _not_found(request, exc) -> HttpResponse:
    # The same answer for "does not exist" and "not yours to see", so an id outside the token's scope
    # tells its holder nothing.
    return problem(404, "There is no such object, or this token's owner may not see it.")


def _permission_denied(request, exc) -> HttpResponse:
    return problem(403, str(exc) or "This token's owner may not do this.")


def _authentication(request, exc) -> HttpResponse:
    response = problem(
        401,
        "Send a live API token as `Authorization: Bearer <key>`; the token is missing, unknown, revoked or "
        "expired, or its owner can no longer sign in.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    return response


def _throttled(request, exc: Throttled) -> HttpResponse:
    wait = int(exc.wait or 1)
    response = problem(
        429,
        f"This token has made too many requests: try again in {wait} seconds.",
        type="urn:mig:problem:rate-limited",
    )
    response["Retry-After"] = str(wait)
    return response


def _http_error(request, exc: HttpError) -> HttpResponse:
    # ninja's own refusals, such as a request body that is not JSON (400).
    return problem(exc.status_code, str(exc))


def _unexpected(request, exc: Exception) -> HttpResponse:
    # Logged with its traceback for the people who run the service; the client learns nothing of the code.
    log.exception("API request %s %s failed", request.method, request.path)
    return problem(500, "Something went wrong on our side; it has been logged. Try again later.")


def install(api) -> None:
    """Register the handlers on the NinjaAPI (the most specific class of an exception wins)."""
    api.add_exception_handler(NinjaValidationError, _ninja_validation)
    api.add_exception_handler(ValidationError, _django_validation)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(PermissionDenied, _permission_denied)
    api.add_exception_handler(AuthenticationError, _authentication)
    api.add_exception_handler(Throttled, _throttled)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Exception, _unexpected)


# Every write may carry an Idempotency-Key (api.idempotency, a middleware, so ninja does not see the header).
WRITE_METHODS = ("post", "put", "patch")
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any 1-255 printable characters, such as a UUID. A retry with the same key and the same request "
    "gets the first answer again and the write is done once; the same key with a different request is refused "
    "(422); while the first is still running, a retry is refused (409). Keys are kept for 24 hours.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[\\x20-\\x7e]*[\\x21-\\x7e][\\x20-\\x7e]*$",
    },
}
REPLAYED = {
    "Idempotent-Replayed": {
        "description": "true when this is the stored answer to an earlier request with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def _document_idempotency(operation: dict) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(parameter.get("name") == "Idempotency-Key" for parameter in parameters):
        parameters.append(IDEMPOTENCY_KEY)
    for status, response in operation["responses"].items():
        if str(status).startswith("2"):
            response.setdefault("headers", {}).update(REPLAYED)


def document(schema: dict) -> dict:
    """Add the Problem schema and the problem responses to every operation of an OpenAPI description."""
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = problem_schema.pop("$defs", {})
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(definitions)
    schemas["Problem"] = problem_schema
    content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    headers = {
        401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
        429: {
            "Retry-After": {
                "description": "Seconds to wait before the next request.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    }
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if method in WRITE_METHODS:
                _document_idempotency(operation)
            for status in PROBLEM_STATUSES:
                if status in responses or str(status) in responses:
                    continue
                response = {"description": HTTPStatus(status).phrase, "content": content}
                if status in headers:
                    response["headers"] = headers[status]
                responses[status] = response
    return schema
