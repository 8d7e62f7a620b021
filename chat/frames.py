"""Client frames of /ws/chat/<slug>/: parsing, validation and the error frame.

Every rule here is a line of PROTOCOL.md ("Client → server"); the consumer
only dispatches what `parse_frame` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol.limits import (
    HISTORY_AFTER_LIMIT,
    HISTORY_BEFORE_LIMIT,
    MAX_INT64,
    body_problem,
    client_id_problem,
    emoji_problem,
)
from realtime import liveness
from realtime.envelope import FrameError, parse_envelope

__all__ = ["Frame", "FrameError", "parse_frame"]


@dataclass(frozen=True, slots=True)
class Frame:
    type: str
    fields: dict[str, Any]
    client_id: str | None = None


def _is_int(value: Any) -> bool:
    # JSON true/false decode to bool, a subclass of int: not a seq.
    return isinstance(value, int) and not isinstance(value, bool)


def _seq(data: dict, name: str, ref: str | None, *, minimum: int) -> int:
    if name not in data:
        raise FrameError("bad_request", f"`{name}` is required: a whole number.", ref)
    value = data[name]
    if not _is_int(value) or value < minimum:
        raise FrameError(
            "bad_request", f"`{name}` must be a whole number ≥ {minimum}.", ref
        )
    return value


def _message_id(data: dict, ref: str | None) -> int:
    value = _seq(data, "id", ref, minimum=1)
    if value > MAX_INT64:
        # Out of range: the database driver would raise on it.
        raise FrameError("bad_request", "`id` is out of range.", ref)
    return value


def _limit(data: dict, bounds: tuple[int, int, int], ref: str | None) -> int:
    low, high, default = bounds
    value = data.get("limit", default)
    if not _is_int(value) or not low <= value <= high:
        raise FrameError(
            "bad_request", f"`limit` must be a whole number from {low} to {high}.", ref
        )
    return value


def _body(data: dict, ref: str | None) -> str:
    body = data.get("body")
    if isinstance(body, str):
        body = body.strip()
    problem = body_problem(body)
    if problem is not None:
        raise FrameError(*problem, ref)
    return body


def _message_send(data: dict, ref: str | None) -> dict[str, Any]:
    body = _body(data, ref)
    client_id = data.get("client_id")
    sentence = client_id_problem(client_id)
    if sentence is not None:
        raise FrameError("bad_request", sentence, ref)
    return {"body": body, "client_id": client_id}


def _message_edit(data: dict, ref: str | None) -> dict[str, Any]:
    message_id = _message_id(data, ref)
    body = _body(data, ref)
    sentence = client_id_problem(data.get("client_id"))
    if sentence is not None:
        raise FrameError("bad_request", sentence, ref)
    return {"id": message_id, "body": body}


def _reaction(data: dict, ref: str | None) -> dict[str, Any]:
    message_id = _message_id(data, ref)
    problem = emoji_problem(data.get("emoji"))
    if problem is not None:
        raise FrameError("bad_request", problem, ref)
    return {"id": message_id, "emoji": data["emoji"]}


def _history_before(data: dict, ref: str | None) -> dict[str, Any]:
    return {
        "before": _seq(data, "before", ref, minimum=0),
        "limit": _limit(data, HISTORY_BEFORE_LIMIT, ref),
    }


def _history_after(data: dict, ref: str | None) -> dict[str, Any]:
    return {
        "after": _seq(data, "after", ref, minimum=0),
        "limit": _limit(data, HISTORY_AFTER_LIMIT, ref),
    }


def _typing(data: dict, ref: str | None) -> dict[str, Any]:
    active = data.get("active")
    if not isinstance(active, bool):
        raise FrameError("bad_request", "`active` must be true or false.", ref)
    return {"active": active}


def _read(data: dict, ref: str | None) -> dict[str, Any]:
    return {"seq": _seq(data, "seq", ref, minimum=0)}


def _ping(data: dict, ref: str | None) -> dict[str, Any]:
    # An optional `heartbeat` re-declares the socket's (README, Liveness).
    seconds, problem = liveness.ping_heartbeat(data)
    if problem:
        raise FrameError("bad_request", problem, ref)
    return {} if seconds is None else {"heartbeat": seconds}


PARSERS = {
    "message.send": _message_send,
    "message.edit": _message_edit,
    "reaction.add": _reaction,
    "reaction.remove": _reaction,
    "history.before": _history_before,
    "history.after": _history_after,
    "typing": _typing,
    "read": _read,
    "ping": _ping,
}


def parse_frame(text: str | None, binary: bytes | None = None) -> Frame:
    """The validated frame, or FrameError with the code PROTOCOL.md names."""
    data, kind, ref = parse_envelope(text)
    parser = PARSERS.get(kind)
    if parser is None:
        raise FrameError("unknown_type", f"Unknown frame type {kind[:40]!r}.", ref)
    return Frame(type=kind, fields=parser(data, ref), client_id=ref)
