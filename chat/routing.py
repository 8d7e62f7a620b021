from django.urls import re_path

from chat.consumers import RoomConsumer
from chat.site import SiteConsumer

websocket_urlpatterns = [
    # Any text up to the slash: an invalid slug is a room that does not exist
    # (4404 after the auth check), not a failed route.
    re_path(r"^ws/chat/(?P<slug>[^/]{1,200})/$", RoomConsumer.as_asgi()),
    # The site socket: presence's socket plus the user's activity (chat.site).
    re_path(r"^ws/presence/$", SiteConsumer.as_asgi()),
]
