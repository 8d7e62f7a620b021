"""Property-based fuzzing of the JSON API from its own OpenAPI schema.

schemathesis generates requests (valid and invalid) for every endpoint
and checks that none gets a 5xx and every response matches the documented
status codes, content types and schemas. A logged-in user with a CSRF token
sends them, so the requests get past authentication into the views.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chat import store
from chat.models import Room
from project.api import api

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CSRF = get_random_string(32)

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def keep_db_connection():
    # The WSGI handler closes the connection at each request's end, which
    # would close the test's transaction too; django.test.Client does this.
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def logged_in(keep_db_connection, make_user) -> dict[str, str]:
    """Cookies of a staff session (so moderation succeeds too), with a few
    messages in general to read and delete."""
    user = make_user("fuzzer", is_staff=True)
    make_user("other")
    room = Room.objects.get(slug="general")
    for n in range(3):
        store.message_create(room=room, author=user, body=f"m{n}", client_id=None)
    client = Client()
    client.force_login(user)
    return {
        django_settings.SESSION_COOKIE_NAME: client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value,
        django_settings.CSRF_COOKIE_NAME: CSRF,
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_survives_fuzzing(case, logged_in):
    response = case.call(headers={"X-CSRFToken": CSRF}, cookies=logged_in)
    case.validate_response(response, checks=CHECKS)
