"""Every WebSocket path the site serves (PROTOCOL.md, Sockets)."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from chat.routing import websocket_urlpatterns as chat_urlpatterns
from presence.routing import websocket_urlpatterns as presence_urlpatterns


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any other path: refuse the handshake instead of raising in the router."""

    async def connect(self) -> None:
        await self.close()


websocket_urlpatterns = [
    *chat_urlpatterns,
    *presence_urlpatterns,
    re_path(r"", NoSuchSocket.as_asgi()),
]
