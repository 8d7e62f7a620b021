from presence.checks import presence_timings


def test_defaults_pass(settings):
    settings.PRESENCE_TTL, settings.PRESENCE_HEARTBEAT = 30, 10
    assert presence_timings() == []


def test_a_heartbeat_not_inside_the_ttl_is_an_error(settings):
    settings.PRESENCE_TTL, settings.PRESENCE_HEARTBEAT = 10, 10
    (error,) = presence_timings()
    assert error.id == "presence.E001"
    settings.PRESENCE_HEARTBEAT = 0
    assert presence_timings()
