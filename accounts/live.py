"""Account changes that live sockets must see: saves and logouts become
account events (realtime.account_events) once they commit.

    user.recheck   any save: each socket of the user checks its session again
    session.kick   a logout: the sockets opened with that session close (4403)
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.models import User
from protocol import events
from realtime import codes
from realtime.account_events import send_event, session_digest
from realtime.outbox import send_or_later

logger = logging.getLogger(__name__)


def _send(event: dict) -> None:
    try:
        # Redis away: the outbox sends it once Redis answers.
        async_to_sync(send_or_later)(send_event, event=event)
    except Exception:
        # A save or a logout must not fail on the way to live sockets;
        # they then end with their session at the next handshake instead.
        logger.exception("Could not tell live sockets of %s", event["type"])


# What a live socket's session depends on (accounts.sessions): any other
# change (a display name) needs no re-check, and a profile-save loop once
# made every socket of the user read the database for each save.
SESSION_FIELDS = ("is_active", "password")


@receiver(pre_save, sender=User, dispatch_uid="accounts.live.user_saving")
def _user_saving(sender, instance: User, **kwargs) -> None:
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or (
        update_fields is not None and not set(update_fields) & set(SESSION_FIELDS)
    ):
        instance._session_fields_changed = False
        return
    before = User.objects.filter(pk=instance.pk).values_list(*SESSION_FIELDS).first()
    now = tuple(getattr(instance, name) for name in SESSION_FIELDS)
    # Any save of an inactive user too: it may follow a queryset.update()
    # that deactivated them without signals (sockets must still close).
    instance._session_fields_changed = before != now or not instance.is_active


@receiver(post_save, sender=User, dispatch_uid="accounts.live.user_saved")
def _user_saved(sender, instance: User, created: bool, **kwargs) -> None:
    if created or not getattr(instance, "_session_fields_changed", True):
        return
    # Any save may have deactivated the user or changed the password: each
    # socket of the user checks its own session again, after the commit.
    event = events.user_recheck(user_id=instance.pk)
    transaction.on_commit(lambda: _send(event))


@receiver(user_logged_out, dispatch_uid="accounts.live.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key and user is not None:
        _send(
            events.session_kick(
                user_id=user.pk, session=session_digest(key), code=codes.FORBIDDEN
            )
        )
