"""A logged-in JSON API client for tests, with CSRF enforced as a browser
session has it."""

from __future__ import annotations

import json

from django.test import Client
from django.utils.crypto import get_random_string

CSRF = get_random_string(32)


class Api:
    """A logged-in client that enforces CSRF like a browser session does."""

    def __init__(self, user=None, *, csrf: bool = True) -> None:
        self.client = Client(enforce_csrf_checks=True)
        if user is not None:
            self.client.force_login(user)
        self.client.cookies["csrftoken"] = CSRF
        self.headers = {"X-CSRFToken": CSRF} if csrf else {}

    def get(self, path: str, **query):
        return self.client.get(path, query)

    def post(self, path: str, body):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client.post(
            path, data, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str):
        return self.client.delete(path, headers=self.headers)

    def patch(self, path: str, body):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.client.patch(
            path, data, content_type="application/json", headers=self.headers
        )
