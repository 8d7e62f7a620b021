"""What /metrics reports (project.metrics), in prometheus-client's default
registry: one process's counters, as each process is scraped on its own.

Every update on a hot path is an increment of a labelled child that was
looked up once, well under a microsecond; what costs more to know (queues
waiting for slow sockets, the outbox) is read only when scraped.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SOCKETS = Gauge("chat_sockets", "Open WebSockets of this process", ["kind"])
MESSAGES_STORED = Counter("chat_messages_stored_total", "Messages stored")
MESSAGES_BROADCAST = Counter(
    "chat_messages_broadcast_total", "Stored messages sent to their room's group"
)
ERRORS = Counter("chat_errors_total", "`error` frames sent, by code", ["code"])
CLOSES = Counter(
    "chat_socket_closes_total", "Sockets closed by the server, by close code", ["code"]
)
SOCKET_FAILURES = Counter(
    "chat_socket_failures_total", "Sockets that failed on an unexpected exception"
)
OUTAGES = Counter(
    "chat_outage_failures_total", "Frames or requests refused as unavailable"
)
SESSION_CHECKS = Counter(
    "chat_session_checks_total", "Session re-checks of live sockets (database reads)"
)
PRESENCE_SWEEPS = Counter("chat_presence_sweeps_total", "Presence sweeps run")
PRESENCE_SWEPT = Counter(
    "chat_presence_swept_connections_total", "Expired connections removed by sweeps"
)
# Seconds; buckets from a fast local round trip to a stalled server.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
REDIS_SECONDS = Histogram(
    "chat_redis_heartbeat_seconds",
    "Duration of one presence heartbeat (Redis round trips)",
    buckets=_BUCKETS,
)
DB_SECONDS = Histogram(
    "chat_db_write_seconds",
    "Duration of one message-writing transaction",
    buckets=_BUCKETS,
)
RELAY_BACKLOG = Gauge(
    "chat_relay_backlog_frames", "Frames waiting for slow sockets of this process"
)
OUTBOX_BACKLOG = Gauge(
    "chat_outbox_waiting", "Broadcasts waiting for Redis to come back"
)

_error_children: dict[str, Counter] = {}
_close_children: dict[int, Counter] = {}


def error_sent(code: str) -> None:
    child = _error_children.get(code)
    if child is None:
        child = _error_children[code] = ERRORS.labels(code=code)
    child.inc()


def socket_closed(code: int) -> None:
    child = _close_children.get(code)
    if child is None:
        child = _close_children[code] = CLOSES.labels(code=str(code))
    child.inc()
