"""WebSocket routes of presence (PROTOCOL.md, Sockets)."""

from django.urls import re_path

from presence.consumers import PresenceConsumer

websocket_urlpatterns = [
    re_path(r"^ws/presence/$", PresenceConsumer.as_asgi()),
]
