"""What every client frame shares, whatever the socket: one JSON object
with a string `type`, and a `client_id` that an error's `ref` echoes."""

from __future__ import annotations

import contextlib
import json


class FrameError(Exception):
    """A frame the server refuses, with the PROTOCOL.md error code to send."""

    def __init__(self, code: str, detail: str, ref: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.ref = ref


def parse_envelope(text: str | None) -> tuple[dict, str, str | None]:
    """A client frame's (object, type, ref), or FrameError (PROTOCOL.md: a
    binary frame, a frame that is not a JSON object, or one without a string
    `type` gets bad_request; text that is not JSON at all gets bad_json)."""
    if text is None:
        raise FrameError(
            "bad_request", "Binary frames are not accepted; send JSON text."
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise FrameError("bad_request", "A frame must be a JSON object.")
    client_id = data.get("client_id")
    ref = client_id if isinstance(client_id, str) else None
    kind = data.get("type")
    if not isinstance(kind, str):
        raise FrameError("bad_request", "A frame needs a string `type`.", ref)
    return data, kind, ref


def ref_of(message: dict | None) -> str | None:
    """The `client_id` of the frame being handled, for an error's `ref`."""
    text = message.get("text") if message else None
    if not text:
        return None
    with contextlib.suppress(ValueError, RecursionError):
        data = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("client_id"), str):
            return data["client_id"]
    return None
