"""Every WebSocket path the site serves (PROTOCOL.md, Sockets)."""

from chat.routing import websocket_urlpatterns as chat_urlpatterns
from presence.routing import websocket_urlpatterns as presence_urlpatterns

websocket_urlpatterns = [*chat_urlpatterns, *presence_urlpatterns]
