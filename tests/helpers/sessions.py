"""Logged-in sessions for tests: the `sessionid` a browser would hold."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client


def session_cookie_for(user) -> str:
    """Log the user in through Django's session machinery; the `sessionid`."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def asession_cookie_for(user) -> str:
    return await sync_to_async(session_cookie_for)(user)
