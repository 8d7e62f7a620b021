"""The chat's HTML pages. They only render a shell: the client in
static/chat/js/ fetches and streams everything else (PROTOCOL.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from chat.selectors import (
    RoomForbidden,
    RoomNotFound,
    room_for_user,
    rooms_visible_to,
)

# The client builds room links from this, so the URL lives only in urls.py.
_SLUG_PLACEHOLDER = "__slug__"


def _room_url_template() -> str:
    return reverse("chat:room", kwargs={"slug": _SLUG_PLACEHOLDER})


@login_required
@ensure_csrf_cookie
def room_list(request: HttpRequest) -> HttpResponse:
    """Public rooms and the user's private ones; counts arrive from the API."""
    rooms = rooms_visible_to(request.user)
    page_data = {
        "user": request.user.ref(),
        "roomUrl": _room_url_template(),
        "slugPlaceholder": _SLUG_PLACEHOLDER,
    }
    return render(
        request, "chat/room_list.html", {"rooms": rooms, "page_data": page_data}
    )


@login_required
@ensure_csrf_cookie
def room(request: HttpRequest, slug: str) -> HttpResponse:
    """One room: the message log, the composer and who is here."""
    user = request.user
    # A private room the user is not in looks exactly like a missing one, as
    # on the socket (PROTOCOL.md: no enumeration).
    try:
        room = room_for_user(slug=slug, user=user)
    except RoomNotFound:
        raise Http404("No such room.") from None
    except RoomForbidden:
        raise PermissionDenied("You were banned from this room.") from None
    page_data = {
        "slug": room.slug,
        "name": room.name,
        "user": user.ref(),
        "canModerate": bool(user.is_staff or room.owner_id == user.pk),
        "private": room.private,
    }
    return render(request, "chat/room.html", {"room": room, "page_data": page_data})
