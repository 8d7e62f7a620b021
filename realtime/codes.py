"""WebSocket close codes of PROTOCOL.md (Close codes)."""

FORBIDDEN = 4403  # deactivated, banned from the room, or the session ended
NOT_FOUND = 4404  # no such room (or private and not a member)
FLOODING = 4429  # 20 error replies within 10 s
TOO_FAR_BEHIND = 1013  # the outbound queue overflowed
SERVICE_RESTART = 1012  # the server process is stopping
INTERNAL_ERROR = 1011  # an unexpected failure on the server
# An addition (README, Liveness): the socket declared ?heartbeat=<s> and sent
# nothing for twice that (realtime.liveness); the client reconnects.
SILENT = 4408
