"""Headers and the socket Origin check (#17, Low).

Before: no Content-Security-Policy, no Permissions-Policy, no
`Cache-Control: no-store` on authenticated pages and JSON; the socket's
Origin check compared only the host with ALLOWED_HOSTS, so a page on
another port or scheme of the same host could open sockets with the
visitor's cookies.

Now every page and JSON answer carries a strict CSP (no inline script, no
eval, `connect-src` only the site itself and its own ws(s): origin),
Permissions-Policy denies the browser features the chat does not use, and
whatever answers a request with a session is `no-store`. A socket's Origin
must be the site's own scheme, host and port (or one of
CSRF_TRUSTED_ORIGINS).
"""

from __future__ import annotations

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("general_room"),
    pytest.mark.slow,
]


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part}


def test_pages_and_json_carry_csp_permissions_policy_and_no_store(signup, server):
    alice = signup()
    http = alice.http()
    for path in ("/rooms/", "/api/rooms/", "/accounts/profile/"):
        response = http.get(path)
        assert response.status_code == 200, path
        csp = directives(response.headers["content-security-policy"])
        assert csp["script-src"] == ["'self'"], path  # no inline, no eval
        assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
        assert csp["connect-src"] == ["'self'", f"ws://127.0.0.1:{server.port}"]
        assert "camera=()" in response.headers["permissions-policy"]
        assert response.headers["cache-control"] == "no-store", path
    anonymous = httpx.get(f"{server.http_url}/static/chat/css/site.css", timeout=5)
    assert "no-store" not in anonymous.headers.get("cache-control", "")


def test_the_admin_pages_keep_their_own_no_cache(signup, server):
    staff = signup(is_staff=True, is_superuser=True)
    response = staff.http().get("/admin/")
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:1",  # another port of the same host
        "https://127.0.0.1:{port}",  # another scheme
        "http://127.0.0.1.evil.example:{port}",
        "http://localhost:{port}",  # an allowed host, but not the site's own
        "null",
    ],
)
async def test_a_socket_from_another_origin_is_refused(asignup, server, origin):
    alice = await asignup()
    with pytest.raises(InvalidStatus) as refused:
        await alice.connect("/ws/chat/general/", origin=origin.format(port=server.port))
    assert refused.value.response.status_code == 403


async def test_a_socket_from_the_sites_own_origin_is_accepted(asignup, server):
    alice = await asignup()
    ws = await alice.connect("/ws/chat/general/", origin=server.http_url)
    assert '"presence.state"' in await ws.recv()
    await ws.close()


async def test_a_forged_host_header_does_not_make_its_origin_the_sites(asignup, server):
    # DNS rebinding: evil.example resolves to us; Host and Origin agree,
    # but the host is not ours.
    alice = await asignup()
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            f"{server.ws_url}/ws/chat/general/",
            origin="http://evil.example",
            additional_headers={
                "Cookie": f"sessionid={alice.key}",
                "Host": "evil.example",
            },
            open_timeout=5,
        )
    assert refused.value.response.status_code in (400, 403)
