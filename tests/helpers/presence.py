"""Presence timings for tests."""

# Small enough to keep expiry tests short, large enough for a loaded CI box.
TTL = 1.0
HEARTBEAT = 0.25
