"""`python -m bench.seed --count N --out cookies.json [--rooms R]`: N users
with open login sessions, fast, for the load benchmark (bench/). Runs with
the server's environment (DJANGO_SETTINGS_MODULE, DATABASE_URL).

No password is hashed (set_unusable_password) and no login view runs: users
and Session rows are bulk-created, each session holding what
django.contrib.auth.login() would store, so a socket opened with its cookie is
authenticated exactly like a browser's.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from chat.models import Room  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"
BATCH = 500


def seed(*, count: int, out: Path, prefix: str = "bench", rooms: int = 0) -> str:
    """Create `count` users with login sessions and `rooms` public rooms;
    write their cookies to `out` as JSON; a one-line summary."""
    User = get_user_model()
    names = [f"{prefix}{i:05d}" for i in range(count)]
    with transaction.atomic():
        existing = set(
            User.objects.filter(username__in=names).values_list("username", flat=True)
        )
        new = []
        for name in names:
            if name in existing:
                continue
            user = User(username=name, email=f"{name}@bench.invalid")
            user.set_unusable_password()
            new.append(user)
        User.objects.bulk_create(new, batch_size=BATCH)
        users = list(User.objects.filter(username__in=names).order_by("username"))
        expiry = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        sessions = [
            Session(
                session_key=get_random_string(
                    32, "abcdefghijklmnopqrstuvwxyz0123456789"
                ),
                session_data=store.encode(
                    {
                        SESSION_KEY: str(user.pk),
                        BACKEND_SESSION_KEY: BACKEND,
                        HASH_SESSION_KEY: user.get_session_auth_hash(),
                    }
                ),
                expire_date=expiry,
            )
            for user in users
        ]
        Session.objects.bulk_create(sessions, batch_size=BATCH)
        slugs = [f"{prefix}-{i}" for i in range(rooms)]
        have = set(Room.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        Room.objects.bulk_create([Room(slug=s, name=s) for s in slugs if s not in have])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "cookie_name": settings.SESSION_COOKIE_NAME,
                "users": [
                    {"id": u.pk, "username": u.username, "session": s.session_key}
                    for u, s in zip(users, sessions, strict=True)
                ],
                "rooms": slugs,
            }
        )
    )
    return f"{len(users)} users, {len(slugs)} rooms -> {out}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--rooms", type=int, default=0, help="also create public rooms")
    args = parser.parse_args(argv)
    print(seed(count=args.count, out=args.out, prefix=args.prefix, rooms=args.rooms))


if __name__ == "__main__":
    main()
