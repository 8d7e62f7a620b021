"""The site's error pages: 403, 404 and 500, each with a sentence and a next
step, in the reader's language.

The 500 page renders without a request context: no session, no user, no
database, so it still appears when the database is what failed.
"""

from __future__ import annotations

from django.http import (
    HttpRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def _reason(exception: Exception | None) -> str:
    # Our views raise PermissionDenied with a sentence meant for people
    # (chat.views: a ban); without one the page has its own.
    if exception is not None and getattr(exception, "args", None):
        text = exception.args[0]
        if isinstance(text, str) and not text.startswith(("{", "[")):
            return text
    return ""


@requires_csrf_token
def forbidden(request: HttpRequest, exception: Exception | None = None):
    template = loader.get_template("403.html")
    context = {"reason": _reason(exception)}
    return HttpResponseForbidden(template.render(context, request))


@requires_csrf_token
def not_found(request: HttpRequest, exception: Exception | None = None):
    # One sentence for every 404: Django's own texts ("No Room matches the
    # given query", a resolver's list of patterns) are not for people.
    template = loader.get_template("404.html")
    return HttpResponseNotFound(template.render({}, request))


def server_error(request: HttpRequest):
    # No request: context processors would read the session and the user,
    # that is, the database that may be what failed.
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({}))
