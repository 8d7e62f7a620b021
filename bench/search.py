"""`python -m bench.search [--messages N] [--rooms R] [--queries Q] [--fresh]
[--only sqlite,postgresql] [--no-write]`: search at scale (issue #14).

For each database (SQLite under var/bench-search/, and PostgreSQL at
127.0.0.1:5432 when it answers), a worker process migrates a database of its
own, fills it once with N messages (default 1,000,000) in R rooms (100) by
bulk inserts (not the socket), then times GET /api/search/ through Django's
test client (URL routing, session, auth, validation, the search, the JSON)
for one-, two- and three-word queries and a quoted phrase, Q queries each,
and the admin's message search. Words follow a Zipf law over 20,000
pseudo-words, as words of a language do; the queries take their words from
messages made the same way, so common words are asked for more often. The
viewer can open 99 of the rooms. A database filled before with the same
numbers is reused (--fresh makes it again).

The figures replace the "Search at scale" section of bench/RESULTS.md (the
rest of that file is `python -m bench`'s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var" / "bench-search"
PG_URL = "postgres://postgres@127.0.0.1:5432/"
PG_NAME = "chat_bench_search"
RESULTS = BASE_DIR / "bench" / "RESULTS.md"
BEGIN, END = "<!-- search:begin -->", "<!-- search:end -->"
SHAPES = ["one word", "two words", "three words", "phrase"]
VOCABULARY = 20_000
SEED = 14


def _vocabulary() -> tuple[list[str], list[float]]:
    rng = random.Random(SEED)
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choices(syllables, k=rng.randint(1, 4))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    weights, total = [], 0.0
    for rank in range(1, VOCABULARY + 1):
        total += 1 / rank
        weights.append(total)
    return ordered, weights


def _texts(rng: random.Random, count: int) -> list[str]:
    words, cumulative = _vocabulary()
    lengths = [rng.randint(3, 25) for _ in range(count)]
    flat = rng.choices(words, cum_weights=cumulative, k=sum(lengths))
    texts, at = [], 0
    for n in lengths:
        texts.append(" ".join(flat[at : at + n]))
        at += n
    return texts


def queries(count: int) -> dict[str, list[str]]:
    """Per shape, `count` queries whose words come from made-up messages."""
    rng = random.Random(SEED + 1)
    found: dict[str, list[str]] = {shape: [] for shape in SHAPES}
    for index, text in enumerate(_texts(rng, count * 4)):
        words = text.split()
        shape = SHAPES[index % 4]
        if shape == "phrase":
            at = rng.randrange(len(words) - 1)
            found[shape].append(f'"{words[at]} {words[at + 1]}"')
        else:
            size = SHAPES.index(shape) + 1
            found[shape].append(" ".join(rng.sample(words, size)))
    return found


# --- the worker: one database ----------------------------------------------


def _setup(database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        DATABASE_URL=database_url,
    )
    import django

    django.setup()


def _fill(messages: int, rooms: int) -> float:
    """Users, rooms and messages by bulk inserts; seconds taken (0: reused)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from chat.models import Message, Room
    from chat.search.terms import document

    User = get_user_model()
    if Message.objects.count() == messages and Room.objects.count() == rooms:
        return 0.0
    started = time.perf_counter()
    Message.objects.all().delete()
    Room.objects.all().delete()
    User.objects.all().delete()
    viewer = User.objects.create(username="viewer")
    authors = User.objects.bulk_create(User(username=f"a{n}") for n in range(100))
    made = Room.objects.bulk_create(
        Room(slug=f"r{n}", name=f"Room {n}", private=n >= rooms - 10)
        for n in range(rooms)
    )
    # Of the ten private rooms the viewer is a member of nine.
    for room in made[rooms - 10 : rooms - 1]:
        room.members.add(viewer)
    rng = random.Random(SEED)
    now = timezone.now()
    seqs = dict.fromkeys((r.pk for r in made), 0)
    batch = 20_000
    for start in range(0, messages, batch):
        rows = []
        for body in _texts(rng, min(batch, messages - start)):
            room = made[rng.randrange(rooms)]
            seqs[room.pk] += 1
            rows.append(
                Message(
                    room=room,
                    seq=seqs[room.pk],
                    rev=seqs[room.pk],
                    author=authors[rng.randrange(100)],
                    body=body,
                    created_at=now,
                    search_terms=document(body),
                )
            )
        with transaction.atomic():
            Message.objects.bulk_create(rows, batch_size=2000)
    for room in made:
        Room.objects.filter(pk=room.pk).update(
            last_seq=seqs[room.pk], rev=seqs[room.pk]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def worker(database_url: str, messages: int, rooms: int, count: int) -> dict:
    _setup(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    fill_s = _fill(messages, rooms)
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="viewer"))
    admin = Client()
    root = get_user_model().objects.filter(username="root").first()
    if root is None:
        root = get_user_model().objects.create_superuser("root", "r@x.invalid", "x")
    admin.force_login(root)
    asked = queries(count)
    figures: dict[str, dict] = {}
    for shape, texts in [*asked.items(), ("admin, one word", asked["one word"][:50])]:
        url = "/admin/chat/message/" if shape.startswith("admin") else "/api/search/"
        who = admin if shape.startswith("admin") else client
        for text in texts[:10]:  # warm-up: caches, connections
            who.get(url, {"q": text})
        times, hits = [], []
        for text in texts:
            began = time.perf_counter()
            response = who.get(url, {"q": text})
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.content[:300]
            if not shape.startswith("admin"):
                hits.append(len(response.json()["results"]))
        figures[shape] = {
            "queries": len(texts),
            "p50_ms": round(_percentile(times, 0.50), 2),
            "p99_ms": round(_percentile(times, 0.99), 2),
            "max_ms": round(max(times), 2),
            "full_pages": sum(h == 20 for h in hits),
            "empty": sum(h == 0 for h in hits),
        }
    return {
        "vendor": connection.vendor,
        "version": connection.cursor().connection.info.server_version
        if connection.vendor == "postgresql"
        else __import__("sqlite3").sqlite_version,
        "fill_s": round(fill_s, 1),
        "figures": figures,
    }


# --- the parent: both databases, the report ------------------------------


def _pg_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), 2).close()
    except OSError:
        return False
    return True


def _pg_database(fresh: bool) -> str:
    import psycopg

    with psycopg.connect(PG_URL + "postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [PG_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {PG_NAME}")
    return PG_URL + PG_NAME


def _report(runs: list[dict], args, seconds: float) -> str:
    load = os.getloadavg()
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True
        )
        .stdout.decode()
        .strip()
    )
    lines = [
        BEGIN,
        "## Search at scale (`python -m bench.search`)",
        "",
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} at {commit},"
        f" {seconds:.0f} s in all; {os.cpu_count()} cores, Python"
        f" {platform.python_version()}; load average at the end {load[0]:.2f}."
        f" {args.messages:,} messages in {args.rooms} rooms (bulk inserts), words"
        f" Zipf-distributed over {VOCABULARY:,} pseudo-words, 3 to 25 a message;"
        " the viewer can open 99 rooms. Each figure: GET /api/search/ through"
        " Django's test client (routing, session, auth, validation, search,"
        f" JSON), {args.queries} queries a shape after 10 of warm-up; limit 20."
        " Target: p99 ≤ 100 ms for every shape on both databases.",
        "",
        "| database | query | p50 ms | p99 ms | max ms | full pages | no result |"
        " verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        name = f"{run['vendor']} {run['version']}"
        for shape, f in run["figures"].items():
            verdict = (
                ""
                if shape.startswith("admin")
                else ("met" if f["p99_ms"] <= 100 else "missed")
            )
            lines.append(
                f"| {name} | {shape} | {f['p50_ms']} | {f['p99_ms']} | {f['max_ms']}"
                f" | {f['full_pages']} | {f['empty']} | {verdict} |"
            )
    fills = ", ".join(
        f"{r['vendor']} {r['fill_s']} s" if r["fill_s"] else f"{r['vendor']} reused"
        for r in runs
    )
    lines += [
        "",
        f"Filling the databases: {fills}. The admin row is the changelist page"
        " with `?q=` (the same index, plus the page's count).",
        END,
    ]
    return "\n".join(lines)


def _write(section: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--only", default="sqlite,postgresql")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = worker(args.worker, args.messages, args.rooms, args.queries)
        print(json.dumps(result))
        return 0
    started = time.perf_counter()
    VAR.mkdir(parents=True, exist_ok=True)
    urls = []
    wanted = args.only.split(",")
    if "sqlite" in wanted:
        path = VAR / f"search-{args.messages}-{args.rooms}.sqlite3"
        if args.fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        urls.append(f"sqlite:///{path}")
    if "postgresql" in wanted:
        if _pg_answers():
            urls.append(_pg_database(args.fresh))
        else:
            print("PostgreSQL does not answer on 127.0.0.1:5432: SQLite only.")
    runs = []
    for url in urls:
        print(f"== {url}", flush=True)
        done = subprocess.run(
            [
                *(sys.executable, "-m", "bench.search", "--worker", url),
                *(f"--messages={args.messages}", f"--rooms={args.rooms}"),
                f"--queries={args.queries}",
            ],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(runs[-1], indent=1), flush=True)
    section = _report(runs, args, time.perf_counter() - started)
    print(section)
    if not args.no_write:
        _write(section)
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
