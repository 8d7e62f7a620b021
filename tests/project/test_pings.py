"""Server WebSocket pings: on by default, and quick enough that a client
whose network vanished is closed (and leaves presence) within 20 s."""

from django.test import override_settings

from devserver.serve import uvicorn_options


def test_the_default_pings_drop_a_silent_client_within_20_s(settings):
    options = uvicorn_options("127.0.0.1", 8000)
    # The worst case: the client goes silent just after a pong; the leave
    # then takes a moment more.
    assert options["ws_ping_interval"] == settings.WS_PING_INTERVAL
    assert options["ws_ping_timeout"] == settings.WS_PING_TIMEOUT
    assert options["ws_ping_interval"] + options["ws_ping_timeout"] <= 16


@override_settings(WS_PING_INTERVAL=0)
def test_an_interval_of_0_turns_them_off():
    options = uvicorn_options("127.0.0.1", 8000)
    assert options["ws_ping_interval"] is None
    assert options["ws_ping_timeout"] is None
