"""Is the login session a socket was opened with still good?"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare

from accounts.models import User


def session_is_valid(*, session_key: str | None, user_id: int) -> bool:
    """False once the user is inactive, logged out, or changed their password
    (Django's session-hash rule: other sessions end with the old hash)."""
    if not session_key:
        return False
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore
    data = store(session_key=session_key).load()
    if str(data.get(SESSION_KEY)) != str(user_id) or BACKEND_SESSION_KEY not in data:
        return False
    return constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )
