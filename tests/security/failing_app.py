"""The real ASGI application with one planted bug: a `test.crash` frame
makes the frame parser of either socket raise, as any unforeseen bug in a
handler would. Only tests/security/test_socket_crashes.py serves it."""

# isort: off
from project.asgi import application  # first: it sets Django up
from chat import frames
from presence import consumers as presence_consumers

# isort: on


class PlantedBug(RuntimeError):
    pass


def _crash(data: dict, ref: str | None) -> dict:
    raise PlantedBug("a planted bug in a frame handler")


frames.PARSERS["test.crash"] = _crash
_presence_parse = presence_consumers.parse_frame


def _presence_parse_or_crash(text_data, bytes_data):
    if text_data and "test.crash" in text_data:
        _crash({}, None)
    return _presence_parse(text_data, bytes_data)


presence_consumers.parse_frame = _presence_parse_or_crash

__all__ = ["application"]
