"""GET /healthz: is this process able to reach the database and Redis, and
does its own pub/sub path work (realtime.canary)?"""

import asyncio

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import JsonResponse

from realtime import canary
from realtime.redis_clients import get_redis

CHECK_TIMEOUT = 2.0


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:
        return False


async def _redis_ok() -> bool:
    try:
        return bool(await asyncio.wait_for(get_redis().ping(), CHECK_TIMEOUT))
    except Exception:
        return False


async def healthz(request) -> JsonResponse:
    db_ok, redis_ok = await asyncio.gather(sync_to_async(_database_ok)(), _redis_ok())
    pubsub_ok = canary.pubsub_ok()
    body = {
        "ok": db_ok and redis_ok and pubsub_ok,
        "db": "ok" if db_ok else "down",
        "redis": "ok" if redis_ok else "down",
        "pubsub": "ok" if pubsub_ok else "down",
    }
    return JsonResponse(body, status=200 if body["ok"] else 503)
