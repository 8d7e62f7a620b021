"""Users by the usernames that people type: members to add, users to ban,
someone to write to, @mentions. Matched case-insensitively (a person types
"Ada" for "ada"); what is stored is always the user, so the canonical
spelling.

Lower() is the database's: on SQLite it folds ASCII letters only, so there
a non-ASCII name must be typed with its own case (the exact spelling always
matches).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from protocol.limits import MAX_USERNAME, has_surrogates


def users_named(names: Iterable[str], *, active: bool = False) -> dict[str, User]:
    """Each of `names` that names a user -> that user; unknown names are left
    out. Two users whose names differ only by case: the exact spelling wins,
    else the older account. `active`: only active users count."""
    # NUL cannot be in a username, and PostgreSQL rejects it in a query.
    wanted = [
        name
        for name in dict.fromkeys(names)
        if isinstance(name, str)
        and 0 < len(name) <= MAX_USERNAME
        and "\x00" not in name
        and not has_surrogates(name)
    ]
    if not wanted:
        return {}
    lowered = {name.lower() for name in wanted}
    found = User.objects.annotate(lower_name=Lower("username")).filter(
        Q(lower_name__in=lowered) | Q(username__in=wanted)
    )
    if active:
        found = found.filter(is_active=True)
    exact: dict[str, User] = {}
    folded: dict[str, User] = {}
    for user in found.order_by("pk"):
        exact[user.username] = user
        folded.setdefault(user.username.lower(), user)
    result = {}
    for name in wanted:
        user = exact.get(name) or folded.get(name.lower())
        if user is not None:
            result[name] = user
    return result
