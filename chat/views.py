"""The chat's HTML pages. They only render a shell: the client in
static/chat/js/ fetches and streams everything else (PROTOCOL.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from chat.models import Room

# The client builds room links from this, so the URL lives only in urls.py.
_SLUG_PLACEHOLDER = "__slug__"


def _visible_room(*, slug: str, user) -> Room:
    """The room, or 404 when it is missing or private to others.

    A private room the user is not in looks exactly like a missing one, as
    on the socket (PROTOCOL.md: no enumeration).
    """
    room = Room.objects.select_related("owner").filter(slug=slug).first()
    if room is None:
        raise Http404("No such room.")
    if room.private and not room.members.filter(pk=user.pk).exists():
        raise Http404("No such room.")
    return room


def _room_url_template() -> str:
    return reverse("chat:room", kwargs={"slug": _SLUG_PLACEHOLDER})


@login_required
@ensure_csrf_cookie
def room_list(request: HttpRequest) -> HttpResponse:
    """Public rooms and the user's private ones; counts arrive from the API."""
    rooms = (
        Room.objects.filter(Q(private=False) | Q(members=request.user))
        .distinct()
        .order_by("name", "slug")
    )
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
    room = _visible_room(slug=slug, user=user)
    page_data = {
        "slug": room.slug,
        "name": room.name,
        "user": user.ref(),
        "canModerate": bool(user.is_staff or room.owner_id == user.pk),
        "private": room.private,
    }
    return render(request, "chat/room.html", {"room": room, "page_data": page_data})
