"""JSON endpoints of presence (PROTOCOL.md, JSON endpoints).

Session auth is the API's default (project.api): anonymous callers get 403.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Schema

from chat.models import Room
from presence import api as presence

router = Router(tags=["presence"])


class UserRefOut(Schema):
    id: int
    username: str
    display_name: str


class UsersOut(Schema):
    users: list[UserRefOut]


class DetailOut(Schema):
    detail: str


@router.get("/online/", response=UsersOut, summary="Users online anywhere")
async def online(request: HttpRequest) -> dict:
    return {"users": await presence.online_users()}


@router.get(
    "/rooms/{slug}/presence/",
    response={200: UsersOut, 404: DetailOut},
    summary="Users present in one room",
)
async def room_presence(request: HttpRequest, slug: str) -> tuple[int, dict]:
    user = request.auth
    # A private room the user is not a member of looks exactly like a missing
    # one (no enumeration).
    room = await (
        Room.objects.filter(slug=slug)
        .filter(Q(private=False) | Q(members=user))
        .only("id")
        .afirst()
    )
    if room is None:
        return 404, {"detail": "No such room."}
    return 200, {"users": await presence.room_members(room.id)}
