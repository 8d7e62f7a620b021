"""System checks of the socket runtime's settings (`manage.py check`, and
every server start: project.asgi runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def socket_settings(app_configs: object = None, **kwargs: object) -> list[Error]:
    backlog = getattr(settings, "CHAT_SOCKET_BACKLOG", None)
    if not isinstance(backlog, int) or isinstance(backlog, bool) or backlog < 1:
        return [
            Error(
                f"CHAT_SOCKET_BACKLOG must be a whole number ≥ 1, got {backlog!r}.",
                hint="It is how many frames may wait for one slow socket before "
                "it is closed with 1013; the default is 1000.",
                id="realtime.E001",
            )
        ]
    cap = getattr(settings, "CHAT_MAX_SOCKETS_PER_USER", None)
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
        return [
            Error(
                f"CHAT_MAX_SOCKETS_PER_USER must be a whole number ≥ 1, got {cap!r}.",
                hint="It is how many live sockets one user may hold across all "
                "server processes; the default is 50.",
                id="realtime.E002",
            )
        ]
    return []
