"""Every WebSocket path the site serves (PROTOCOL.md, Sockets)."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from chat.routing import preload
from chat.routing import websocket_urlpatterns as chat_urlpatterns


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any other path: refuse the handshake instead of raising in the router."""

    async def connect(self) -> None:
        await self.close()


__all__ = ["preload", "websocket_urlpatterns"]

websocket_urlpatterns = [
    # /ws/presence/ is chat's site socket, presence's socket with activity.
    *chat_urlpatterns,
    re_path(r"", NoSuchSocket.as_asgi()),
]
