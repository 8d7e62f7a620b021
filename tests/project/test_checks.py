"""Settings are checked at start-up: `manage.py check` and the server stop
with one sentence on a bad value, instead of failing at the first message."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.helpers.servers import BASE_DIR

BAD = [
    ("CHAT_RATE_LIMIT", "fast", "CHAT_RATE_LIMIT must look like '20/10'"),
    ("CHAT_RATE_LIMIT", "0/10", "CHAT_RATE_LIMIT must look like '20/10'"),
    ("CHAT_RATE_LIMIT", "20/-1", "CHAT_RATE_LIMIT must look like '20/10'"),
    ("CHAT_SOCKET_BACKLOG", 0, "CHAT_SOCKET_BACKLOG must be a whole number ≥ 1"),
    ("CHAT_SOCKET_BACKLOG", "1000", "CHAT_SOCKET_BACKLOG must be a whole number"),
    ("PRESENCE_HEARTBEAT", 60, "PRESENCE_HEARTBEAT (60.0) must be above 0"),
    ("PRESENCE_TTL", "soon", "PRESENCE_TTL and PRESENCE_HEARTBEAT must be numbers"),
]


@pytest.mark.parametrize(("name", "value", "sentence"), BAD)
def test_check_refuses_a_bad_setting(settings, name, value, sentence):
    setattr(settings, name, value)
    with pytest.raises(SystemCheckError, match=re.escape(sentence)):
        call_command("check")


def test_check_passes_with_the_defaults():
    call_command("check")


@pytest.mark.parametrize(
    ("variable", "value", "sentence"),
    [
        ("CHAT_RATE_LIMIT", "fast", "CHAT_RATE_LIMIT must look like '20/10'"),
        ("CHAT_SOCKET_BACKLOG", "0", "CHAT_SOCKET_BACKLOG must be a whole number"),
        ("CHAT_SOCKET_BACKLOG", "many", "CHAT_SOCKET_BACKLOG must be a whole number"),
    ],
)
def test_server_does_not_start_with_a_bad_setting(variable, value, sentence):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEBUG": "1",
        variable: value,
    }
    done = subprocess.run(
        [sys.executable, "-c", "import project.asgi"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert sentence in done.stderr.splitlines()[-1] or sentence in done.stderr
