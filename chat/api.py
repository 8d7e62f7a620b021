"""JSON endpoints of rooms and messages (PROTOCOL.md, JSON endpoints).

Views parse (ninja schemas), call a selector or service, and map its
exceptions to status codes; the rules live in chat.services. Endpoints that
report Room.online are async because presence is read from Redis.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool, StrictStr
from redis.exceptions import RedisError

from chat import ratelimit, roomviews, selectors, serializers, services
from chat.models import Message, Room
from presence import api as presence
from protocol.limits import (
    API_HISTORY_LIMIT,
    MAX_INT64,
    MAX_ROOM_NAME,
    MAX_SLUG,
    MAX_USERNAME,
    SLUG_PATTERN,
)
from protocol.schemas import DetailOut, ErrorsOut, UserRefOut, UsersOut

logger = logging.getLogger(__name__)
router = Router(tags=["chat"])


# No pattern here: a slug that cannot exist is a missing room (404), as on
# the socket, not a 400.
RoomSlug = Annotated[str, Path(..., examples=["general"])]


class RoomOut(Schema):
    """PROTOCOL.md Room, as the viewer sees it (chat.roomviews)."""

    slug: str
    name: str
    private: bool
    owner: UserRefOut | None
    online: int
    kind: Literal["public", "private", "direct"]
    description: str
    member: bool
    last_seq: int = Field(ge=0)
    last_read: int = Field(ge=0)
    unread: int = Field(ge=0)
    mentions: int = Field(ge=0)
    muted: bool
    peer: UserRefOut | None


class RoomsOut(Schema):
    rooms: list[RoomOut]


class ReactionOut(Schema):
    emoji: str
    count: int
    users: list[int]


class MessageOut(Schema):
    id: int
    seq: int
    room: str
    user: UserRefOut
    body: str
    # A string, not a datetime: the wire text passes through unchanged
    # (Django's JSON encoder would cut microseconds off a datetime).
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    client_id: str | None
    deleted: bool
    edited_at: str | None = Field(json_schema_extra={"format": "date-time"})
    rev: int
    reactions: list[ReactionOut]
    mentions: list[int]


class HistoryOut(Schema):
    messages: list[MessageOut]
    has_more: bool


# Every 400 has this shape (project/api.py maps ninja's own 400s to it too).
BadRequest = ErrorsOut

Username = Annotated[
    StrictStr, Field(min_length=1, max_length=MAX_USERNAME, examples=["other"])
]


class RoomIn(Schema):
    name: StrictStr = Field(min_length=1, max_length=MAX_ROOM_NAME)
    slug: StrictStr | None = Field(
        None, min_length=1, max_length=MAX_SLUG, pattern=SLUG_PATTERN
    )
    private: StrictBool = False
    members: list[Username] = Field(default_factory=list, max_length=200)


class UsernameIn(Schema):
    username: Username


def _detail(text: str) -> dict:
    return {"detail": text}


NOT_FOUND = _detail("No such room.")
BANNED = _detail("You are banned from this room.")


async def _online(rooms: list[Room]) -> dict[int, int]:
    try:
        return await presence.room_online_counts([room.pk for room in rooms])
    except (RedisError, OSError):
        # A room list without live counts beats no room list at all.
        logger.warning("presence unavailable; reporting online=0", exc_info=True)
        return {}


async def room_out(room: Room, user) -> dict:
    """The Room of every answer that returns one, as `user` sees it."""
    view = await sync_to_async(roomviews.room_view)(room.pk, user)
    online = await _online([view])
    return roomviews.room_dict(view, online.get(view.pk, 0))


@router.get("/rooms/", response={200: RoomsOut, 403: DetailOut})
async def list_rooms(request: HttpRequest):
    """Rooms the user can see: public ones and those they are a member of
    (private and direct), never one they are banned from."""
    rooms = await sync_to_async(roomviews.visible_rooms)(request.auth)
    online = await _online(rooms)
    return {"rooms": [roomviews.room_dict(r, online.get(r.pk, 0)) for r in rooms]}


@router.post(
    "/rooms/",
    response={
        201: RoomOut,
        400: BadRequest,
        403: DetailOut,
        409: ErrorsOut,
        429: DetailOut,
    },
)
async def create_room(request: HttpRequest, payload: RoomIn):
    """Create a room; the caller owns it and is a member. At most
    CHAT_ROOM_CREATE_LIMIT new rooms per user (staff are not limited)."""
    user = request.auth
    token = None
    if not user.is_staff:
        token = await ratelimit.acquire_room_create(user.pk)
        if token is None:
            return Status(429, _detail("You have created too many rooms; try later."))
    try:
        room = await sync_to_async(services.room_create)(
            owner=user,
            name=payload.name,
            slug=payload.slug,
            private=payload.private,
            members=payload.members,
        )
    except (ValidationError, services.SlugTaken) as error:
        if token is not None:
            await ratelimit.release_room_create(user.pk, token)
        if isinstance(error, services.SlugTaken):
            return Status(409, {"errors": {"slug": [str(error)]}})
        return Status(400, {"errors": error.message_dict})
    return Status(201, await room_out(room, request.auth))


@router.get(
    "/rooms/{slug}/messages/",
    response={200: HistoryOut, 400: BadRequest, 403: DetailOut, 404: DetailOut},
)
def room_messages(
    request: HttpRequest,
    slug: RoomSlug,
    before: int | None = Query(None, ge=0, le=MAX_INT64),
    after: int | None = Query(None, ge=0, le=MAX_INT64),
    limit: int = Query(
        API_HISTORY_LIMIT[2], ge=API_HISTORY_LIMIT[0], le=API_HISTORY_LIMIT[1]
    ),
):
    """A page of history in ascending seq: before a seq, after one, or the
    latest; has_more says whether more exist in that direction."""
    if before is not None and after is not None:
        return Status(400, {"errors": {"__all__": ["Give before or after, not both."]}})
    try:
        room = selectors.room_for_user(slug=slug, user=request.auth)
    except selectors.RoomNotFound:
        return Status(404, NOT_FOUND)
    except selectors.RoomForbidden:
        return Status(403, BANNED)
    messages, has_more = selectors.message_history(
        room=room, before=before, after=after, limit=limit
    )
    return {
        "messages": [serializers.message_dict(m) for m in messages],
        "has_more": has_more,
    }


@router.get(
    "/rooms/{slug}/presence/",
    response={200: UsersOut, 403: DetailOut, 404: DetailOut},
    summary="Users present in one room",
)
async def room_presence(request: HttpRequest, slug: RoomSlug):
    """Who is in the room now; the room's access rules as for its messages."""
    try:
        room = await sync_to_async(selectors.room_for_user)(
            slug=slug, user=request.auth
        )
    except selectors.RoomNotFound:
        return Status(404, NOT_FOUND)
    except selectors.RoomForbidden:
        return Status(403, BANNED)
    return Status(200, {"users": await presence.room_members(room.id)})


def _moderate(slug: str, user, action) -> Status | Room:
    try:
        room = selectors.room_for_moderator(slug=slug, user=user)
        return action(room)
    except selectors.RoomNotFound:
        return Status(404, NOT_FOUND)
    except selectors.RoomForbidden:
        return Status(403, BANNED)
    except PermissionDenied as error:
        return Status(403, _detail(str(error)))
    except ValidationError as error:
        return Status(400, {"errors": error.message_dict})


MODERATION_RESPONSES = {
    200: RoomOut,
    400: BadRequest,
    403: DetailOut,
    404: DetailOut,
}


@router.post("/rooms/{slug}/members/", response=MODERATION_RESPONSES)
async def add_member(request: HttpRequest, slug: RoomSlug, payload: UsernameIn):
    """The room's owner or staff adds a member."""
    user = request.auth

    def add(room: Room) -> Room:
        return services.room_add_member(room=room, by=user, username=payload.username)

    result = await sync_to_async(_moderate)(slug, user, add)
    if isinstance(result, Status):
        return result
    return Status(200, await room_out(result, user))


@router.post("/rooms/{slug}/bans/", response=MODERATION_RESPONSES)
async def ban_user(request: HttpRequest, slug: RoomSlug, payload: UsernameIn):
    """The room's owner or staff bans a user; their sockets there close (4403)."""
    user = request.auth

    def ban(room: Room) -> Room:
        services.room_ban(room=room, by=user, username=payload.username)
        return room

    result = await sync_to_async(_moderate)(slug, user, ban)
    if isinstance(result, Status):
        return result
    return Status(200, await room_out(result, user))


@router.delete(
    "/messages/{message_id}/",
    response={204: None, 400: BadRequest, 403: DetailOut, 404: DetailOut},
)
def delete_message(
    request: HttpRequest,
    message_id: int = Path(..., ge=1, le=MAX_INT64, examples=[1]),
):
    """Its author, the room's owner or staff turns a message into a tombstone."""
    try:
        services.message_delete(message_id=message_id, by=request.auth)
    except Message.DoesNotExist:
        return Status(404, _detail("No such message."))
    except PermissionDenied as error:
        return Status(403, _detail(str(error)))
    return Status(204, None)
