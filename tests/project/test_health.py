"""GET /healthz and the start-up checks of settings."""

import os
import subprocess
import sys

import pytest

from project.settings import BASE_DIR

pytestmark = pytest.mark.django_db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "db": "ok", "redis": "ok", "pubsub": "ok"}


def test_healthz_names_redis_when_the_suites_redis_is_stopped(client, redis_server):
    redis_server.stop()
    try:
        response = client.get("/healthz")
    finally:
        redis_server.start()
    assert response.status_code == 503
    assert response.json() == {"ok": False, "db": "ok", "redis": "down", "pubsub": "ok"}
    assert client.get("/healthz").status_code == 200


def _django_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_without_secret_key_fails_with_one_clear_sentence():
    result = _django_check({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_like_variables():
    result = _django_check(
        {
            "DEBUG": "0",
            "SECRET_KEY": "p" * 20 + "-production-like-key-" + "q" * 30,
            "ALLOWED_HOSTS": "chat.example.com",
            "HTTPS": "1",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
