"""#17 findings 10 and 11, and allauth's per-process counters (Low).

Before: `/admin/login/` had no brute-force limit (30 wrong passwords in
14 s, then in); allauth's per-account limit refused even the right
password, so anyone could lock a user out; X-Forwarded-For was trusted from
127.0.0.1 (uvicorn's default) and the README's proxy block forwarded the
client's own header, so a rotating header evaded allauth's per-IP limits
and logs recorded forged addresses; allauth counted per process.

Now /admin/login/ is allauth's login; its per-account limit counts per
account and client address (a guesser locks only themself out); its
counters live in Redis, shared by every process; and X-Forwarded-For /
X-Forwarded-Proto count only from TRUSTED_PROXIES (default: none).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.servers import ServerProcess
from tests.security.conftest import CSRF

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# This module's server stands behind a proxy on 127.0.0.1 that the test
# plays: X-Forwarded-For says which client a request comes from.
SERVER_ENV = {"TRUSTED_PROXIES": "127.0.0.1"}
PASSWORD = "correct horse battery staple"
TOO_MANY = "Too many failed login attempts"


@pytest.fixture(scope="module")
def twin(server, django_db_blocker) -> Iterator[ServerProcess]:
    """A second process of the same deployment."""
    with django_db_blocker.unblock():
        process = ServerProcess(env=SERVER_ENV).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def unproxied(server, django_db_blocker) -> Iterator[ServerProcess]:
    """A process with the default TRUSTED_PROXIES (none)."""
    with django_db_blocker.unblock():
        process = ServerProcess().start()
    yield process
    process.stop()


def log_in(server, login: str, password: str, client_ip: str | None = None):
    headers = {"X-Forwarded-For": client_ip} if client_ip else {}
    return httpx.post(
        f"{server.http_url}/accounts/login/",
        data={"login": login, "password": password, "csrfmiddlewaretoken": CSRF},
        cookies={"csrftoken": CSRF},
        headers=headers,
        timeout=10,
    )


def refused_for_attempts(response: httpx.Response) -> bool:
    return response.status_code == 429 or TOO_MANY in response.text


def test_wrong_guesses_lock_out_the_guesser_not_the_user(server, make_user):
    victim = make_user()
    for _ in range(5):
        assert (
            log_in(server, victim.username, "wrong", "203.0.113.6").status_code == 200
        )
    assert refused_for_attempts(
        log_in(server, victim.username, PASSWORD, "203.0.113.6")
    )
    # The user, from their own address, is not locked out.
    response = log_in(server, victim.username, PASSWORD, "198.51.100.7")
    assert response.status_code == 302, response.text[:300]


def test_the_per_address_limit_is_shared_by_every_process(server, twin, make_user):
    users = [make_user() for _ in range(11)]
    processes = [server, twin]
    results = [
        log_in(processes[n % 2], user.username, "wrong", "203.0.113.9")
        for n, user in enumerate(users)
    ]
    assert not any(refused_for_attempts(r) for r in results[:10])
    assert refused_for_attempts(results[10])  # the 11th, on either process
    assert not refused_for_attempts(log_in(twin, users[0].username, "x", "192.0.2.1"))


def test_the_admin_login_is_the_limited_login(server, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    page = httpx.get(f"{server.http_url}/admin/login/?next=/admin/", timeout=10)
    assert page.status_code == 302
    assert page.headers["location"] == "/accounts/login/?next=%2Fadmin%2F"
    # The admin's own form takes no password any more: a POST is redirected.
    posted = httpx.post(
        f"{server.http_url}/admin/login/",
        data={"username": "root", "password": PASSWORD, "csrfmiddlewaretoken": CSRF},
        cookies={"csrftoken": CSRF},
        timeout=10,
    )
    assert posted.status_code == 302 and "sessionid" not in posted.cookies
    for _ in range(5):
        log_in(server, "root", "wrong", "203.0.113.30")
    assert refused_for_attempts(log_in(server, "root", PASSWORD, "203.0.113.30"))


def test_a_rotating_forwarded_for_from_an_untrusted_peer_counts_for_nothing(
    unproxied, make_user
):
    users = [make_user() for _ in range(11)]
    results = [
        log_in(unproxied, user.username, "wrong", f"203.0.113.{n}")
        for n, user in enumerate(users)
    ]
    # All eleven came from 127.0.0.1, whatever they said.
    assert not any(refused_for_attempts(r) for r in results[:10])
    assert refused_for_attempts(results[10])


def test_forwarded_proto_counts_only_from_a_trusted_proxy(server, unproxied):
    def connect_src(process) -> str:
        page = httpx.get(
            f"{process.http_url}/accounts/login/",
            headers={"X-Forwarded-Proto": "https"},
            timeout=10,
        )
        policy = page.headers["content-security-policy"]
        return next(d for d in policy.split("; ") if d.startswith("connect-src"))

    assert f"wss://127.0.0.1:{server.port}" in connect_src(server)
    assert f"ws://127.0.0.1:{unproxied.port}" in connect_src(unproxied)
    assert "wss://" not in connect_src(unproxied)
