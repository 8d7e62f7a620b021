"""JSON endpoints of PROTOCOL 1.1 about messages: their versions
(GET /api/messages/<id>/edits/) and search (GET /api/search/)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status

from chat import edits, selectors, serializers
from chat.api import BANNED, NOT_FOUND, BadRequest, MessageOut, _detail
from chat.models import Message
from chat.search.service import search_messages
from protocol.limits import MAX_INT64, MAX_SEARCH_QUERY, SEARCH_LIMIT
from protocol.schemas import DetailOut

router = Router(tags=["messages"])


class VersionOut(Schema):
    body: str
    at: str


class VersionsOut(Schema):
    versions: list[VersionOut]


class ResultOut(Schema):
    message: MessageOut
    ranges: list[list[int]]


class ResultsOut(Schema):
    results: list[ResultOut]
    has_more: bool


NO_MESSAGE = _detail("No such message.")


@router.get(
    "/messages/{message_id}/edits/",
    response={200: VersionsOut, 400: BadRequest, 403: DetailOut, 404: DetailOut},
)
def message_edits(
    request: HttpRequest,
    message_id: int = Path(..., ge=1, le=MAX_INT64, examples=[1]),
):
    """Every version of a message, oldest first: the original, then each edit."""
    try:
        versions = edits.message_versions(message_id=message_id, user=request.auth)
    except Message.DoesNotExist:
        return Status(404, NO_MESSAGE)
    except selectors.RoomForbidden:
        return Status(403, BANNED)
    return {"versions": versions}


@router.get(
    "/search/",
    response={200: ResultsOut, 400: BadRequest, 403: DetailOut, 404: DetailOut},
)
def search(
    request: HttpRequest,
    q: str = Query(..., max_length=4 * MAX_SEARCH_QUERY, examples=["lunch"]),
    room: str | None = Query(None, max_length=200),
    before: int | None = Query(None, ge=1, le=MAX_INT64),
    limit: int = Query(SEARCH_LIMIT[2], ge=SEARCH_LIMIT[0], le=SEARCH_LIMIT[1]),
):
    """Messages holding every word of `q` (a "quoted phrase" as a phrase) in the
    rooms the viewer can open, newest first, with the ranges that matched."""
    q = q.strip()
    if not 1 <= len(q) <= MAX_SEARCH_QUERY:
        return Status(
            400, {"errors": {"q": [f"Search for 1 to {MAX_SEARCH_QUERY} characters."]}}
        )
    in_room = None
    if room is not None:
        try:
            in_room = selectors.room_for_user(slug=room, user=request.auth)
        except selectors.RoomNotFound:
            return Status(404, NOT_FOUND)
        except selectors.RoomForbidden:
            return Status(403, BANNED)
    found, has_more = search_messages(
        user=request.auth, q=q, room=in_room, before=before, limit=limit
    )
    return {
        "results": [
            {"message": serializers.message_dict(m), "ranges": ranges}
            for m, ranges in found
        ],
        "has_more": has_more,
    }
