"""The JSON API (PROTOCOL.md, JSON endpoints), built with django-ninja.

django-ninja validates bodies and query strings from type hints and serves the
OpenAPI 3 schema of exactly what it validates at /api/openapi.json. This
module adapts its defaults to the contract: anonymous callers get 403 JSON
(never 401 or a login page) and bad input gets 400 with per-field sentences.
"""

import logging

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from project.api_errors import plain_error
from realtime import metrics
from realtime.failures import is_outage, outage_log

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Chat API",
    version="1",
    description="Session-authenticated JSON API of the chat (PROTOCOL.md).",
    auth=django_auth,
    urls_namespace="api",
)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Log in first: this endpoint needs a session."}, status=403
    )


def _field_of(location: tuple) -> str:
    # ninja reports ("body", "payload", "name") or ("query", "limit"): the
    # field is the last named part; a whole-body error is "__all__".
    names = [str(part) for part in location[1:] if not isinstance(part, int)]
    if names and names[0] == "payload":
        names = names[1:]
    return names[-1] if names else "__all__"


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        field = _field_of(tuple(error.get("loc", ())))
        errors.setdefault(field, []).append(plain_error(field, error))
    return api.create_response(request, {"errors": errors}, status=400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises HttpError(400) itself for a body that is not JSON at all;
    # give it the same shape as every other 400.
    if exc.status_code == 400:
        body = {"errors": {"__all__": [str(exc.message)]}}
    else:
        body = {"detail": str(exc.message)}
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Every failure of a JSON endpoint answers JSON, never Django's HTML
    page: 503 while Redis or the database is down (PROTOCOL.md 1.1), 413
    for a body over DATA_UPLOAD_MAX_MEMORY_SIZE, 400 for what Django finds
    suspicious, 500 (logged once, without the body) for a bug."""
    if is_outage(exc):
        outage_log.warning(f"{request.method} {request.path}", exc)
        metrics.OUTAGES.inc()
        response = api.create_response(
            request, {"detail": "Temporarily unavailable; retry soon."}, status=503
        )
        response["Retry-After"] = "5"
        return response
    if isinstance(exc, RequestDataTooBig):
        return api.create_response(
            request, {"detail": "The request body is too large."}, status=413
        )
    # As Django's own handler answers these (response_for_exception).
    if isinstance(exc, (SuspiciousOperation, MultiPartParserError, BadRequest)):
        return api.create_response(request, {"detail": "Bad request."}, status=400)
    if isinstance(exc, PermissionDenied):
        return api.create_response(request, {"detail": "Forbidden."}, status=403)
    logger.error("Internal error on %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(request, {"detail": "Internal error."}, status=500)


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any other path under /api/: JSON, like every answer of the API."""
    return JsonResponse({"detail": "No such endpoint."}, status=404)


api.add_router("/", "chat.api.router")
api.add_router("/", "chat.message_api.router")
api.add_router("/", "chat.api_members.router")
api.add_router("/", "presence.endpoints.router")
