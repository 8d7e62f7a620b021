from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_search_index(sender, using: str, **kwargs) -> None:
    # After every migrate: a migration that rebuilt the message table on
    # SQLite dropped the index's triggers (chat.search.sqlite).
    from django.db import connections

    from chat.search.service import install_index

    install_index(connections[using])


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        # Imported here: registers the system checks and chat.live's signal
        # receivers.
        from chat import checks, ingest, live  # noqa: F401
        from realtime import lifespan

        # SIGTERM: store what was accepted before the process exits.
        lifespan.on_shutdown(ingest.drain)
        post_migrate.connect(_install_search_index, sender=self)
