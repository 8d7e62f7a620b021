"""System checks of the chat settings (`manage.py check`, server start)."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from chat import conf


@register()
def chat_settings(app_configs: object = None, **kwargs: object) -> list[Error]:
    try:
        conf.rate_limit()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="chat.E001")]
    return []
