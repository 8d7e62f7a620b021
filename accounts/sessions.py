"""The login session of a socket: who opened it (at the handshake) and
whether it is still good (when account events ask).

Both follow django.contrib.auth.get_user's rules: an unexpired session that
names an authentication backend of AUTHENTICATION_BACKENDS and an active
user, with the session hash of the user's current password (or of a
SECRET_KEY_FALLBACKS key). With the database session engine (the default)
both are two indexed queries written out, on the one database thread: the
ORM compiled each of them anew on every handshake (about 1 ms of the
handshake's CPU each, bench/RESULTS.md, scenario 9).
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends import db as db_sessions
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import User
from realtime.sqlrows import RowReader


def store_class():
    """SESSION_ENGINE's SessionStore."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def _session_data(session_key: str) -> dict:
    store = store_class()
    if not issubclass(store, db_sessions.SessionStore):
        return store(session_key=session_key).load()
    table = connection.ops.quote_name(store.get_model_class()._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT session_data FROM {table} "
            "WHERE session_key = %s AND expire_date > %s",
            [session_key, now],
        )
        row = cursor.fetchone()
    return store().decode(row[0]) if row else {}


_USERS = RowReader(User)


def _user_sql(conn) -> str:
    sql = _USER_SQL.get(conn.vendor)
    if sql is None:
        table = conn.ops.quote_name(User._meta.db_table)
        sql = _USER_SQL[conn.vendor] = (
            f"SELECT {_USERS.columns(conn)} FROM {table} WHERE id = %s"
        )
    return sql


_USER_SQL: dict[str, str] = {}


def _active_user(user_id: object) -> User | None:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    # One look-up of the thread's connection, not one per attribute read.
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cursor:
        cursor.execute(_user_sql(conn), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    user = _USERS.instance(conn, row)
    return user if user.is_active else None


def session_user(session_key: str | None) -> tuple[User | None, dict]:
    """The active user the session is logged in as (None when there is
    none), and the session's data."""
    if not session_key:
        return None, {}
    data = _session_data(session_key)
    backend = data.get(BACKEND_SESSION_KEY)
    if SESSION_KEY not in data or backend not in settings.AUTHENTICATION_BACKENDS:
        return None, data
    user = _active_user(data[SESSION_KEY])
    if user is None:
        return None, data
    session_hash = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not session_hash or not any(
        constant_time_compare(session_hash, h) for h in hashes
    ):
        return None, data
    return user, data


def session_is_valid(*, session_key: str | None, user_id: int) -> bool:
    """False once the user is inactive, logged out, or changed their password
    (Django's session-hash rule: other sessions end with the old hash)."""
    user, _ = session_user(session_key)
    return user is not None and user.pk == user_id
