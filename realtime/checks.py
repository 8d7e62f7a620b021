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
    return []
