"""JSON endpoints of memberships, read markers, room settings and direct
messages (PROTOCOL.md 1.1). As in chat.api: parse, call a service, map its
exceptions to status codes."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool, StrictInt, StrictStr

from chat import dms, memberships, reads, selectors, services
from chat.api import BANNED, NOT_FOUND, BadRequest, RoomOut, RoomSlug, Username
from chat.api import room_out as _room_out
from chat.models import Room
from protocol.limits import MAX_INT64, MAX_ROOM_DESCRIPTION, MAX_ROOM_NAME
from protocol.schemas import DetailOut

router = Router(tags=["chat"])

NOT_A_MEMBER = {"detail": "You are not a member of this room."}


class RoomPatchIn(Schema):
    name: StrictStr | None = Field(None, min_length=1, max_length=MAX_ROOM_NAME)
    description: StrictStr | None = Field(None, max_length=MAX_ROOM_DESCRIPTION)


class ReadIn(Schema):
    seq: StrictInt = Field(ge=0, le=MAX_INT64)


class ReadOut(Schema):
    room: str
    last_read: int = Field(ge=0)
    unread: int = Field(ge=0)
    mentions: int = Field(ge=0)


class SettingsIn(Schema):
    muted: StrictBool


class DirectIn(Schema):
    username: Username


ROOM_RESPONSES = {200: RoomOut, 400: BadRequest, 403: DetailOut, 404: DetailOut}


def _open(slug: str, user, action, *, moderate: bool = False):
    """Run `action(room)` on the room as `user` may see it; a (status, body)
    for what the endpoint answers instead."""
    find = selectors.room_for_moderator if moderate else selectors.room_for_user
    try:
        return action(find(slug=slug, user=user))
    except selectors.RoomNotFound:
        return Status(404, NOT_FOUND)
    except selectors.RoomForbidden:
        return Status(403, BANNED)
    except PermissionDenied as error:
        return Status(403, {"detail": str(error)})
    except ValidationError as error:
        return Status(400, {"errors": error.message_dict})


async def _answer(result, user, status: int = 200):
    if isinstance(result, Status):
        return result
    return Status(status, await _room_out(result, user))


@router.post("/rooms/{slug}/join/", response=ROOM_RESPONSES)
async def join_room(request: HttpRequest, slug: RoomSlug):
    """Become a member of a public room (joining twice is fine)."""
    user = request.auth

    def join(room: Room) -> Room:
        memberships.join(room=room, user=user)
        return room

    return await _answer(await sync_to_async(_open)(slug, user, join), user)


@router.post(
    "/rooms/{slug}/leave/",
    response={204: None, 400: BadRequest, 403: DetailOut, 404: DetailOut},
)
async def leave_room(request: HttpRequest, slug: RoomSlug):
    """Stop being a member (of a private room too: it then looks missing).
    The owner may leave and stays the owner. A direct room: 400."""
    user = request.auth

    def leave(room: Room):
        memberships.leave(room=room, user=user)
        return Status(204, None)

    return await sync_to_async(_open)(slug, user, leave)


@router.patch("/rooms/{slug}/", response=ROOM_RESPONSES)
async def update_room(request: HttpRequest, slug: RoomSlug, payload: RoomPatchIn):
    """The owner or staff renames the room or changes its description."""
    user = request.auth

    def update(room: Room) -> Room:
        return services.room_update(
            room=room, by=user, name=payload.name, description=payload.description
        )

    result = await sync_to_async(_open)(slug, user, update, moderate=True)
    return await _answer(result, user)


@router.post(
    "/rooms/{slug}/read/",
    response={200: ReadOut, 400: BadRequest, 403: DetailOut, 404: DetailOut},
)
async def mark_read(request: HttpRequest, slug: RoomSlug, payload: ReadIn):
    """Move the viewer's read marker forward (never back, never past the
    room's newest message); every socket of theirs hears the new counts."""
    user = request.auth

    def read(room: Room):
        result = reads.mark_read(room=room, user=user, seq=payload.seq)
        return Status(403, NOT_A_MEMBER) if result is None else result

    result = await sync_to_async(_open)(slug, user, read)
    if isinstance(result, Status):
        return result
    state, moved = result
    if moved:
        await reads.announce(user.pk, state)
    return Status(
        200,
        {
            "room": state.room,
            "last_read": state.last_read,
            "unread": state.unread,
            "mentions": state.mentions,
        },
    )


@router.post("/rooms/{slug}/settings/", response=ROOM_RESPONSES)
async def room_settings(request: HttpRequest, slug: RoomSlug, payload: SettingsIn):
    """Mute or unmute the room: a muted room's messages raise no
    room.activity on the site socket unless they mention the viewer."""
    user = request.auth

    def settings(room: Room):
        if not memberships.set_muted(room=room, user=user, muted=payload.muted):
            return Status(403, NOT_A_MEMBER)
        return room

    return await _answer(await sync_to_async(_open)(slug, user, settings), user)


@router.post(
    "/dms/", response={200: RoomOut, 201: RoomOut, 400: BadRequest, 403: DetailOut}
)
async def direct_message(request: HttpRequest, payload: DirectIn):
    """The direct room of the viewer and another user (or themself): 201
    when this created it, 200 when it existed, from either side."""
    user = request.auth
    try:
        room, created = await sync_to_async(dms.direct_room)(
            user=user, username=payload.username
        )
    except ValidationError as error:
        return Status(400, {"errors": error.message_dict})
    return Status(201 if created else 200, await _room_out(room, user))
