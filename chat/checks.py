"""System checks of the chat settings (`manage.py check`, server start)."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from chat import conf


@register()
def chat_settings(app_configs: object = None, **kwargs: object) -> list[Error]:
    errors = []
    for read, check_id in (
        (conf.rate_limit, "chat.E001"),
        (conf.room_create_limit, "chat.E002"),
        (conf.invite_limit, "chat.E003"),
    ):
        try:
            read()
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), id=check_id))
    return errors
