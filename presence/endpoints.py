"""JSON endpoints of presence (PROTOCOL.md, JSON endpoints). A room's
presence is chat's (chat.api): it needs the room's access rules.

Session auth is the API's default (project.api): anonymous callers get 403.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from presence import api as presence
from protocol.schemas import UsersOut

router = Router(tags=["presence"])


@router.get("/online/", response=UsersOut, summary="Users online anywhere")
async def online(request: HttpRequest) -> dict:
    return {"users": await presence.online_users()}
