"""A write retried with the same Idempotency-Key is done once.

A finance system that loses the answer to "record this payment" (a timeout, a dropped connection) must be
able to send it again without paying twice. So a POST, PUT or PATCH to the API with an `Idempotency-Key`
header is recorded, per token owner, before it runs: a retry with the same key and the same request gets the
stored answer back; a different request under a used key is refused (422); a retry while the first is still
running is refused (409), because the first may yet succeed.

This is a middleware, not a decorator on each write, so that no write operation can forget it, and so the
key is claimed before any of the operation's work starts. The claim is a row insert that the unique
constraint on (user, key) lets only one request win, in SQLite and under PostgreSQL's concurrent requests
alike."""

import hashlib
import logging
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from api.auth import bearer_key, token_for_key
from api.errors import private, problem
from api.models import IdempotentRequest

log = logging.getLogger(__name__)

API_PATH = "/api/v1/"
HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_WRITES = ("POST", "PUT", "PATCH")
# Answers not kept, so a retry runs the request again: the service failed (5xx), the token was refused (401) or
# may not do this (403: a retry may come with the same person's read-and-write token), or the token was over
# its rate limit (429). None of them did the work. Other refusals (404, 422) are kept and replayed, so a retry
# is told the same thing however the data has moved since.
_NOT_KEPT = (401, 403, 429)


def fingerprint(request) -> str:
    """SHA-256 of the method, path and content. A multipart body is read as its fields and each file's name
    and content hash, so a retry that a client library sends with a new multipart boundary still matches."""
    digest = hashlib.sha256()
    digest.update(f"{request.method}\n{request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        for name, values in sorted(request.POST.lists()):
            for value in values:
                digest.update(f"field\n{name}\n{len(value)}\n{value}\n".encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(f"file\n{name}\n{upload.name}\n{content.hexdigest()}\n".encode())
    else:
        digest.update(request.content_type.encode() + b"\n" + request.body)
    return digest.hexdigest()


def forget_old(*, now=None) -> int:
    """Delete the records older than KEPT_FOR; returns how many. Run on each keyed request (the created_at
    index makes it cheap) so that no scheduled job is needed for the records to go."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in _WRITES or not request.path_info.startswith(API_PATH) or HEADER not in request.headers:
            return self.get_response(request)
        key = request.headers[HEADER]
        if not _KEY.fullmatch(key) or not key.strip():
            return private(
                problem(
                    400,
                    "An Idempotency-Key is 1 to 255 printable characters, such as a UUID.",
                    errors=[{"field": HEADER, "message": "Not a valid idempotency key."}],
                )
            )
        presented = bearer_key(request)
        token = token_for_key(presented) if presented else None
        if token is None:
            # Nobody to keep the key for: the API itself answers 401.
            return self.get_response(request)

        forget_old()
        user = token.user
        print_ = fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(user=user, key=key, fingerprint=print_)
        except IntegrityError:
            return private(self._answer_repeat(user=user, key=key, fingerprint=print_))

        try:
            response = self.get_response(request)
        except Exception:
            IdempotentRequest.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500 or response.status_code in _NOT_KEPT or response.streaming:
            IdempotentRequest.objects.filter(pk=record.pk).delete()
        else:
            IdempotentRequest.objects.filter(pk=record.pk).update(
                state=IdempotentRequest.State.DONE,
                status_code=response.status_code,
                content_type=response.get("Content-Type", ""),
                body=response.content,
            )
        return response

    def _answer_repeat(self, *, user, key, fingerprint):
        earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
        if earlier is None or earlier.state == IdempotentRequest.State.IN_PROGRESS:
            # (None: the first request failed and let its key go between our insert and this read.)
            return problem(
                409,
                "A request with this Idempotency-Key is in progress: wait, then send it again.",
                errors=[{"field": HEADER, "message": "A request with this key is in progress."}],
                type="urn:mig:problem:idempotency-in-progress",
            )
        if earlier.fingerprint != fingerprint:
            return problem(
                422,
                "This Idempotency-Key was used for a different request in the last 24 hours: use a new key "
                "for a new request.",
                errors=[{"field": HEADER, "message": "Already used for a different request."}],
                type="urn:mig:problem:idempotency-key-reused",
            )
        replay = _replay(earlier)
        log.info("Replayed the answer to idempotency key %r of user %s", key, user.pk)
        return replay


def _replay(record):
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response
