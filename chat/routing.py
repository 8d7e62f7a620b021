"""The chat's socket paths, and what a room socket's handshake reads with
the session (accounts.handshake: one trip to the database thread)."""

import re

from django.urls import re_path

from chat import selectors
from chat.consumers import RoomConsumer
from chat.site import SiteConsumer

# Any text up to the slash: an invalid slug is a room that does not exist
# (4404 after the auth check), not a failed route.
ROOM_PATH = re.compile(r"^ws/chat/(?P<slug>[^/]{1,200})/$")


def preload(scope: dict, user) -> selectors.RoomLookup | None:
    """A room socket's room as `user` may see it (on the database thread;
    RoomConsumer.connect acts on it, or looks again if this missed)."""
    found = ROOM_PATH.match(scope.get("path", "").removeprefix("/"))
    return found and selectors.room_lookup(slug=found["slug"], user=user)


websocket_urlpatterns = [
    re_path(ROOM_PATH.pattern, RoomConsumer.as_asgi()),
    # The site socket: presence's socket plus the user's activity (chat.site).
    re_path(r"^ws/presence/$", SiteConsumer.as_asgi()),
]
