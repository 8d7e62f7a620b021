"""The chat's HTML pages. They only render a shell: the client in
static/chat/js/ fetches and streams everything else (PROTOCOL.md).

    /                 the chat, opened at `general` (or the room list)
    /rooms/           the room list: browse public rooms, create one
    /rooms/<slug>/    the chat page: sidebar, one room, who is here; the
                      client switches rooms in place (history API)
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from chat.roomviews import visible_rooms
from chat.selectors import RoomForbidden, RoomNotFound, room_for_user

# The client builds room links from this, so the URL lives only in urls.py.
_SLUG_PLACEHOLDER = "__slug__"
HOME_ROOM = "general"


def _client_urls() -> dict:
    return {
        "roomUrl": reverse("chat:room", kwargs={"slug": _SLUG_PLACEHOLDER}),
        "slugPlaceholder": _SLUG_PLACEHOLDER,
        "roomListUrl": reverse("chat:room_list"),
        "loginUrl": reverse("account_login"),
        "statusUrl": reverse("account_status"),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight into the chat: `general` when it can be opened, else the list."""
    try:
        room_for_user(slug=HOME_ROOM, user=request.user)
    except (RoomNotFound, RoomForbidden):
        return redirect("chat:room_list")
    return redirect("chat:room", slug=HOME_ROOM)


@login_required
@ensure_csrf_cookie
def room_list(request: HttpRequest) -> HttpResponse:
    """Public rooms and the user's private ones; counts arrive from the API."""
    rooms = visible_rooms(request.user)
    page_data = {"user": request.user.ref(), **_client_urls()}
    return render(
        request, "chat/room_list.html", {"rooms": rooms, "page_data": page_data}
    )


@login_required
@ensure_csrf_cookie
def room(request: HttpRequest, slug: str) -> HttpResponse:
    """The chat page, opened at one room. Later rooms open in place."""
    user = request.user
    # A private room the user is not in looks exactly like a missing one, as
    # on the socket (PROTOCOL.md: no enumeration).
    try:
        room = room_for_user(slug=slug, user=user)
    except RoomNotFound:
        raise Http404(_("There is no room at this address.")) from None
    except RoomForbidden:
        raise PermissionDenied(_("You were banned from this room.")) from None
    page_data = {
        "user": user.ref(),
        "isStaff": bool(user.is_staff),
        # The Room as GET /api/rooms/ has it, so the client treats the first
        # room like any it switches to.
        "room": {
            "slug": room.slug,
            "name": room.name,
            "description": room.description,
            "private": room.private,
            "owner": room.owner.ref() if room.owner else None,
            "kind": getattr(room, "kind", "private" if room.private else "public"),
        },
        **_client_urls(),
    }
    return render(request, "chat/room.html", {"room": room, "page_data": page_data})
