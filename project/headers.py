"""Response headers that Django's SecurityMiddleware does not set:
Content-Security-Policy, Permissions-Policy, and `Cache-Control: no-store`
on every response to a request that carries a session.

Our own middleware rather than django-csp: the policy is one static set of
directives (the client has no inline script or style, so no nonces), its
only per-request part is the site's own WebSocket origin in `connect-src`
(`'self'` does not cover ws:/wss: in every browser), and the other two
headers would need code of our own anyway. About 60 lines, no dependency.

Settings (README, Security): CONTENT_SECURITY_POLICY (directive -> list of
sources; "{ws}" stands for this request's ws:// or wss:// origin; None or
{} sends no CSP), CSP_REPORT_ONLY (send it as
Content-Security-Policy-Report-Only: try a policy without breaking pages),
PERMISSIONS_POLICY (the header's value; "" sends none).
"""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

DEFAULT_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", "{ws}"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

DEFAULT_PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


def csp_value(request: HttpRequest, policy: dict[str, list[str]]) -> str:
    try:
        ws = f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
    except DisallowedHost:  # the 400 for a foreign Host passes here too
        ws = ""
    return "; ".join(
        " ".join(
            [
                directive,
                *(
                    source.replace("{ws}", ws)
                    for source in sources
                    if ws or source != "{ws}"
                ),
            ]
        )
        for directive, sources in policy.items()
    )


def add_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)
    if policy:
        name = "Content-Security-Policy"
        if getattr(settings, "CSP_REPORT_ONLY", False):
            name += "-Report-Only"
        response.headers.setdefault(name, csp_value(request, policy))
    permissions = getattr(settings, "PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)
    if permissions:
        response.headers.setdefault("Permissions-Policy", permissions)
    # Whatever a signed-in user is shown (pages, JSON, CSRF tokens) stays out
    # of shared and browser caches; static files are served before this.
    if settings.SESSION_COOKIE_NAME in request.COOKIES or response.cookies:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def security_headers(get_response: Callable) -> Callable:
    """Middleware (sync and async, so async views keep their own loop)."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            return add_headers(request, await get_response(request))

        return markcoroutinefunction(middleware)

    def sync_middleware(request: HttpRequest) -> HttpResponse:
        return add_headers(request, get_response(request))

    return sync_middleware


security_headers.sync_capable = True
security_headers.async_capable = True
