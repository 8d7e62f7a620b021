"""The scenarios `python -m bench` runs (full_specs) and the miniature
that `make test` runs (smoke_specs). Other bench scripts may add Specs of
their own kinds: bench.runner.Bench runs any list of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Spec:
    key: str
    title: str
    kind: str  # fixed, stepped, storm, crowd, restart (bench.runner.Bench._one)
    params: dict
    rounds: int = 2
    processes: int = 1  # our server processes
    database: str = "sqlite"
    what: str = ""
    fresh: bool = False  # new server processes for every run (RSS per socket)
    # Seconds one run (ours or the ceiling) takes, roughly: the progress
    # line's estimate of what is left.
    estimate_s: float = 30.0
    ceiling: bool = True  # also run against the ceiling server
    # Settings of our server for this scenario (environment variables), e.g.
    # WS_PING_INTERVAL=0 for scenario 11b.
    env: dict = field(default_factory=dict)


def full_specs() -> list[Spec]:
    saturation_rates = [1, 2, 4, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50]
    ingress_rates = [0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20]
    big_room = {
        "rooms": 1,
        "per_room": 200,
        "senders_per_room": 2,
        "rate": 10,
        "duration": 15,
    }
    ingress = {
        "rooms": 50,
        "per_room": 4,
        "senders_per_room": 4,
        "rates": ingress_rates,
        "step_s": 4,
    }
    return [
        Spec(
            "1",
            "small room",
            "fixed",
            {
                "rooms": 1,
                "per_room": 10,
                "senders_per_room": 10,
                "rate": 20,
                "duration": 15,
            },
            what="1 room x 10 clients, 10 senders x 20 msg/s, 15 s",
        ),
        Spec(
            "2",
            "big room",
            "fixed",
            big_room,
            rounds=3,
            what="1 room x 200 clients, 2 senders x 10 msg/s "
            "(4,000 deliveries/s), 15 s",
        ),
        Spec(
            "2b",
            "big room, with site sockets",
            "fixed",
            {**big_room, "site": True},
            rounds=3,
            ceiling=False,
            what="scenario 2 with every client also holding the site socket "
            "(/ws/presence/) of the one-page client, its user a member of the "
            "room: each message also goes out as room.activity to the other "
            "199 members (the ceiling has no site socket: compared with "
            "scenario 2's figure of the same run)",
        ),
        Spec(
            "3",
            "many rooms",
            "fixed",
            {
                "rooms": 50,
                "per_room": 10,
                "senders_per_room": 1,
                "rate": 2,
                "duration": 15,
            },
            what="50 rooms x 10 clients, 1 sender/room x 2 msg/s, 15 s",
        ),
        Spec(
            "4",
            "saturation",
            "stepped",
            {
                "rooms": 1,
                "per_room": 100,
                "senders_per_room": 10,
                "rates": saturation_rates,
                "step_s": 4,
            },
            what="1 room x 100 clients, 10 senders, rate stepped up (4 s steps) "
            "until deliveries fall short or p99 > 250 ms",
        ),
        Spec(
            "5",
            "connect storm and idle",
            "storm",
            {"sockets": 1000, "rooms": 20},
            fresh=True,
            what="1,000 authenticated sockets in 20 rooms: connect, idle 5 s, "
            "presence check, close",
        ),
        Spec(
            "6",
            "two server processes",
            "fixed",
            big_room,
            processes=2,
            what="scenario 2 with the clients split over 2 server processes "
            "behind one Redis (the ceiling has one process)",
        ),
        Spec(
            "7a",
            "ingress, SQLite",
            "stepped",
            ingress,
            what="50 rooms x 4 clients, every client sending, rate stepped up "
            "(4 s steps)",
        ),
        Spec(
            "7b",
            "ingress, PostgreSQL",
            "stepped",
            ingress,
            database="postgresql",
            what="as 7a, on PostgreSQL",
        ),
        Spec(
            "8",
            "stuck client",
            "fixed",
            {
                "rooms": 1,
                "per_room": 10,
                "senders_per_room": 5,
                "rate": 25,
                "duration": 25,
                "stuck": 1,
                "padding": 3900,
            },
            what="1 room x 10 clients + 1 client that stops reading (4 KB "
            "receive buffer), 5 senders x 25 msg/s of 4 KB bodies (0.5 MB/s to "
            "the stuck one: the kernel's 4 MB socket buffers fill in ~8 s), 25 s",
        ),
        Spec(
            "9a",
            "connect storm, 1,000",
            "crowd",
            {"sockets": 1000, "rooms": 20, "concurrency": 200},
            fresh=True,
            estimate_s=40,
            what="1,000 authenticated sockets into 20 rooms, at most 200 "
            "handshakes at once: time to all connected, server CPU per connect",
        ),
        Spec(
            "9b",
            "connect storm, 5,000",
            "crowd",
            {"sockets": 5000, "rooms": 20, "concurrency": 200},
            fresh=True,
            estimate_s=120,
            what="5,000 authenticated sockets into 20 rooms, at most 200 "
            "handshakes at once",
        ),
        Spec(
            "10",
            "filling room",
            "crowd",
            {"sockets": 1000, "rooms": 1, "concurrency": 200},
            fresh=True,
            estimate_s=60,
            what="1,000 sockets into one room, at most 200 handshakes at once: "
            "time to all connected, presence frames the clients got, every "
            "client's presence exact at the end",
        ),
        Spec(
            "11",
            "10,000 idle sockets",
            "crowd",
            {"sockets": 10000, "rooms": 500, "concurrency": 200, "idle_s": 30},
            fresh=True,
            rounds=1,
            estimate_s=260,
            what="10,000 authenticated sockets (10,000 users, 500 rooms of 20) "
            "on one process: connect, idle 30 s (idle CPU with server "
            "WebSocket pings at their defaults, every 8 s; 30 s holds exactly 3 "
            "presence heartbeats), RSS per socket, presence 10,000 → 0",
        ),
        Spec(
            "11b",
            "10,000 idle sockets, server pings off",
            "crowd",
            {"sockets": 10000, "rooms": 500, "concurrency": 200, "idle_s": 30},
            fresh=True,
            rounds=1,
            estimate_s=240,
            ceiling=False,
            env={"WS_PING_INTERVAL": "0"},
            what="scenario 11 with WS_PING_INTERVAL=0: what server pings cost "
            "an idle process, against 11's idle CPU",
        ),
        Spec(
            "12",
            "rolling restart",
            "restart",
            {"sockets": 1000, "rooms": 1, "senders": 2, "rate": 10},
            processes=2,
            fresh=True,
            rounds=1,
            ceiling=False,
            estimate_s=90,
            what="2 server processes behind one port (HAProxy), 1,000 sockets "
            "in one room, 2 senders x 10 msg/s; each process in turn gets "
            "SIGTERM, exits and starts again: time until every client is back, "
            "lost, duplicates, unrepaired gaps",
        ),
    ]


def smoke_specs() -> list[Spec]:
    return [
        Spec(
            "1",
            "small room (smoke)",
            "fixed",
            {
                "rooms": 1,
                "per_room": 3,
                "senders_per_room": 3,
                "rate": 5,
                "duration": 1.5,
            },
            rounds=1,
            what="1 room x 3 clients, 3 senders x 5 msg/s, 1.5 s",
        ),
        Spec(
            "2b",
            "room with site sockets (smoke)",
            "fixed",
            {
                "rooms": 1,
                "per_room": 3,
                "senders_per_room": 2,
                "rate": 5,
                "duration": 1.5,
                "site": True,
            },
            rounds=1,
            ceiling=False,
            what="1 room x 3 clients with site sockets, 2 senders x 5 msg/s, 1.5 s",
        ),
        Spec(
            "3",
            "many rooms (smoke)",
            "fixed",
            {
                "rooms": 3,
                "per_room": 3,
                "senders_per_room": 1,
                "rate": 5,
                "duration": 1.5,
            },
            rounds=1,
            what="3 rooms x 3 clients, 1 sender/room x 5 msg/s, 1.5 s",
        ),
        Spec(
            "9a",
            "connect storm (smoke)",
            "crowd",
            {"sockets": 20, "rooms": 2, "concurrency": 10},
            rounds=1,
            what="20 sockets into 2 rooms",
        ),
        Spec(
            "10",
            "filling room (smoke)",
            "crowd",
            {"sockets": 20, "rooms": 1, "concurrency": 10},
            rounds=1,
            what="20 sockets into one room",
        ),
        Spec(
            "11",
            "idle sockets (smoke)",
            "crowd",
            {"sockets": 30, "rooms": 3, "concurrency": 10, "idle_s": 1.0},
            rounds=1,
            what="30 idle sockets, idle 1 s",
        ),
        Spec(
            "11b",
            "idle sockets, server pings off (smoke)",
            "crowd",
            {"sockets": 30, "rooms": 3, "concurrency": 10, "idle_s": 1.0},
            rounds=1,
            ceiling=False,
            env={"WS_PING_INTERVAL": "0"},
            what="30 idle sockets, idle 1 s, WS_PING_INTERVAL=0",
        ),
        Spec(
            "12",
            "rolling restart (smoke)",
            "restart",
            {"sockets": 10, "rooms": 1, "senders": 1, "rate": 5, "settle_s": 1.0},
            processes=2,
            fresh=True,
            rounds=1,
            ceiling=False,
            what="2 processes behind one port, 10 sockets, 1 sender x 5 msg/s",
        ),
    ]
