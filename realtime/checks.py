"""System checks of the socket runtime's settings (`manage.py check`, and
every server start: project.asgi runs them)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

# (setting, what it is for, check id): each a whole number ≥ 1.
WHOLE_NUMBERS = [
    (
        "CHAT_SOCKET_BACKLOG",
        "It is how many frames may wait for one slow socket before it is "
        "closed with 1013; the default is 1000.",
        "realtime.E001",
    ),
    (
        "CHAT_MAX_SOCKETS_PER_USER",
        "It is how many live sockets one user may hold across all server "
        "processes; the default is 50.",
        "realtime.E002",
    ),
]


@register()
def socket_settings(app_configs: object = None, **kwargs: object) -> list[Error]:
    errors = []
    for name, hint, check_id in WHOLE_NUMBERS:
        value = getattr(settings, name, None)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(
                Error(
                    f"{name} must be a whole number ≥ 1, got {value!r}.",
                    hint=hint,
                    id=check_id,
                )
            )
    return errors


def _rate_problem(name: str) -> str | None:
    count, _, seconds = str(getattr(settings, name, "")).partition("/")
    try:
        if int(count) >= 1 and 0 < float(seconds) < 10**9:
            return None
    except ValueError:
        pass
    return f"{name} must look like 'N/S' (N ≥ 1 per S > 0 seconds), got " + repr(
        getattr(settings, name, None)
    )


@register()
def throttle_settings(app_configs: object = None, **kwargs: object) -> list[Error]:
    """The per-socket budgets of realtime.throttle (README, Security)."""
    errors = [
        Error(problem, id="realtime.E010")
        for name in ("CHAT_PING_LIMIT", "CHAT_HISTORY_BUDGET")
        if (problem := _rate_problem(name))
    ]
    interval = getattr(settings, "CHAT_TYPING_INTERVAL", None)
    if not isinstance(interval, int | float) or not 0 <= interval < 3600:
        errors.append(
            Error(
                f"CHAT_TYPING_INTERVAL must be seconds from 0 to 3600, got "
                f"{interval!r}.",
                id="realtime.E011",
            )
        )
    return errors
