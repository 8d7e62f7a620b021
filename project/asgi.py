"""ASGI entry point: Django for HTTP, Channels for WebSockets, on one port."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

from django.core.asgi import get_asgi_application

# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from accounts.handshake import SocketAuthMiddleware  # noqa: E402
from project.origins import SameOriginValidator  # noqa: E402
from project.proxies import TrustedProxies  # noqa: E402
from project.routing import preload, websocket_urlpatterns  # noqa: E402
from realtime.lifespan import lifespan_app  # noqa: E402

# uvicorn runs no system checks: a bad setting (CHAT_RATE_LIMIT="fast")
# stops the server here with its sentence, not at the first message.
_serious = [error for error in checks.run_checks() if error.is_serious()]
if _serious:
    raise ImproperlyConfigured("\n".join(str(error) for error in _serious))

# Build the channel layer now, not on the first socket: a misconfigured layer
# fails at start-up, and the first user does not wait for its imports.
get_channel_layer()

application = ProtocolTypeRouter(
    {
        # TRUSTED_PROXIES first: who the client is and whether it came over
        # TLS decide everything after (project.proxies).
        "http": TrustedProxies(django_asgi_app),
        # SIGTERM: what the process must finish before it exits.
        "lifespan": lifespan_app,
        # A socket from a foreign (or missing) Origin is refused before the
        # session is even loaded (project.origins: scheme, host and port).
        "websocket": TrustedProxies(
            SameOriginValidator(
                SocketAuthMiddleware(URLRouter(websocket_urlpatterns), preload)
            )
        ),
    }
)
