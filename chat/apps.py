from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        # Imported here: registers the system checks.
        from chat import checks, ingest  # noqa: F401
        from realtime import lifespan

        # SIGTERM: store what was accepted before the process exits.
        lifespan.on_shutdown(ingest.drain)
