"""The HTML pages of the chat and the client files they load."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from chat.models import Membership, Room

pytestmark = pytest.mark.django_db

HOSTILE = "</script><img src=x onerror=alert(1)>"
JS_DIR = Path(settings.BASE_DIR) / "static" / "chat" / "js"
JS_FILES = sorted(JS_DIR.glob("*.js"))


def embedded(response, element_id: str) -> dict:
    """The JSON a page embedded with json_script under element_id."""
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no json_script with id {element_id}"
    return json.loads(match.group(1))


@pytest.fixture
def logged_in(client, make_user):
    user = make_user("ada", display_name="Ada")
    client.force_login(user)
    return user


# --- Room list -----------------------------------------------------------------


def test_room_list_requires_login(client):
    response = client.get(reverse("chat:room_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_room_list_renders_rooms_the_user_may_see(client, logged_in, make_user):
    other = make_user("bob")
    Room.objects.create(slug="mine", name="My secret", private=True).members.add(
        logged_in
    )
    Room.objects.create(slug="theirs", name="Their secret", private=True).members.add(
        other
    )
    response = client.get(reverse("chat:room_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "general" in content  # made by migrate
    assert "My secret" in content
    assert "Their secret" not in content
    assert reverse("chat:room", kwargs={"slug": "mine"}) in content


def test_room_list_sets_the_csrf_cookie(client, logged_in):
    response = client.get(reverse("chat:room_list"))
    assert settings.CSRF_COOKIE_NAME in response.cookies


def test_room_list_loads_its_module_and_page_data(client, logged_in):
    response = client.get(reverse("chat:room_list"))
    content = response.content.decode()
    assert '<script type="module" src="/static/chat/js/rooms.js">' in content
    data = embedded(response, "page-data")
    assert data["user"] == logged_in.ref()
    slug_url = data["roomUrl"].replace(data["slugPlaceholder"], "general")
    assert slug_url == reverse("chat:room", kwargs={"slug": "general"})


# --- Room page -----------------------------------------------------------------


def test_room_requires_login(client):
    response = client.get(reverse("chat:room", kwargs={"slug": "general"}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_room_renders_the_chat_page(client, logged_in):
    response = client.get(reverse("chat:room", kwargs={"slug": "general"}))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<script type="module" src="/static/chat/js/app.js">' in content
    # The client's translations load before the module.
    assert '<script src="/jsi18n/?lang=en">' in content
    assert 'id="sidebar"' in content
    assert 'aria-live="polite"' in content
    assert settings.CSRF_COOKIE_NAME in response.cookies
    data = embedded(response, "room-data")
    assert data["room"]["slug"] == "general"
    assert data["room"]["private"] is False
    assert data["user"] == logged_in.ref()
    assert data["user"]["display_name"] == "Ada"
    assert data["isStaff"] is False
    assert data["statusUrl"] == reverse("account_status")


def test_home_opens_general_or_the_room_list(client, logged_in):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:room", kwargs={"slug": "general"})
    # A private general that the user is not a member of.
    Room.objects.filter(slug="general").update(kind="private", private=True)
    Membership.objects.filter(room__slug="general").delete()
    response = client.get("/")
    assert response["Location"] == reverse("chat:room_list")


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_room_is_404_when_missing(client, logged_in):
    response = client.get(reverse("chat:room", kwargs={"slug": "nope"}))
    assert response.status_code == 404


def test_private_room_is_404_for_non_members(client, logged_in, make_user):
    room = Room.objects.create(slug="secret", name="Secret", private=True)
    room.members.add(make_user("bob"))
    response = client.get(reverse("chat:room", kwargs={"slug": "secret"}))
    assert response.status_code == 404


def test_private_room_renders_for_members(client, logged_in):
    room = Room.objects.create(slug="secret", name="Secret", private=True)
    room.members.add(logged_in)
    response = client.get(reverse("chat:room", kwargs={"slug": "secret"}))
    assert response.status_code == 200


def test_the_page_names_the_owner_and_says_who_is_staff(client, logged_in, make_user):
    Room.objects.create(slug="owned", name="Owned", owner=logged_in)
    response = client.get(reverse("chat:room", kwargs={"slug": "owned"}))
    assert embedded(response, "room-data")["room"]["owner"] == logged_in.ref()

    staff = make_user("root", is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("chat:room", kwargs={"slug": "general"}))
    assert embedded(response, "room-data")["isStaff"] is True


def test_hostile_names_are_escaped(client, make_user):
    user = make_user("mallory", display_name=HOSTILE)
    Room.objects.create(slug="evil", name=HOSTILE)
    client.force_login(user)
    room_url = reverse("chat:room", kwargs={"slug": "evil"})
    for url in (room_url, reverse("chat:room_list")):
        response = client.get(url)
        content = response.content.decode()
        assert "<img src=x" not in content, url
        # The only </script> closings are those of real script elements.
        assert content.count("</script>") == content.count("<script")
    data = embedded(client.get(room_url), "room-data")
    assert data["room"]["name"] == HOSTILE
    assert data["user"]["display_name"] == HOSTILE


# --- Static client files ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["app.js", "room.js", "rooms.js", "socket.js", "sidebar.js", "i18n.js"]
)
def test_client_modules_are_served_as_javascript(client, name):
    response = client.get(f"/static/chat/js/{name}")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    body = b"".join(response.streaming_content)
    response.close()
    assert body


def test_stylesheet_is_served(client):
    response = client.get("/static/chat/css/site.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    response.close()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("path", JS_FILES, ids=[path.name for path in JS_FILES])
def test_client_modules_parse(path):
    result = subprocess.run(
        ["node", "--check", str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


def test_client_never_writes_html_from_strings():
    # User text reaches the page through textContent only (STYLE, PROTOCOL).
    for path in JS_FILES:
        source = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, f"{path.name} uses {sink}"


MESSAGE_LOG_SCRIPT = """
import assert from "node:assert/strict";
import { MessageLog } from "%s";

const user = { id: 1, username: "ada", display_name: "Ada" };
const msg = (seq, extra = {}) => ({
  id: seq, seq, room: "r", user, body: `m${seq}`,
  created_at: "2025-01-01T00:00:00Z", client_id: null, deleted: false, ...extra,
});
const seqs = (list) => list.map((m) => m.seq);

const log = new MessageLog();
assert.equal(log.resumeAfter(), null);
assert.deepEqual(
  seqs(log.loadInitial({ messages: [msg(51), msg(52)], has_more: true })), [51, 52]);
assert.equal(log.resumeAfter(), 52);
assert.equal(log.hasOlder, true);

// The next message, then a duplicate (an idempotent retry's echo).
assert.deepEqual(seqs(log.addNewer([msg(53)])), [53]);
assert.deepEqual(seqs(log.addNewer([msg(53)])), []);

// A jump: held, but contiguous stays put so a repair can ask after 53.
assert.deepEqual(seqs(log.addNewer([msg(55)])), [55]);
assert.equal(log.hasGap(), true);
assert.equal(log.contiguous, 53);
assert.deepEqual(seqs(log.addNewer([msg(54), msg(55)])), [54]);
assert.equal(log.hasGap(), false);
assert.equal(log.resumeAfter(), 55);

// Scroll-back, down to the start of the room.
assert.deepEqual(
  seqs(log.addOlder({ messages: [msg(1), msg(50)], has_more: false })), [1, 50]);
assert.equal(log.oldest, 1);
assert.equal(log.hasOlder, false);

// Deletion: a tombstone once; a tombstone in history replaces a live copy.
assert.equal(log.markDeleted({ seq: 54 }).deleted, true);
assert.equal(log.markDeleted({ seq: 54 }), null);
assert.equal(log.markDeleted({ seq: 999 }), null);
assert.deepEqual(seqs(log.addNewer([msg(55, { deleted: true, body: "" })])), [55]);

// An empty room resumes from its start.
const empty = new MessageLog();
empty.loadInitial({ messages: [], has_more: false });
assert.equal(empty.resumeAfter(), 0);
console.log("ok");
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_message_log_keeps_seq_order_and_finds_gaps():
    script = MESSAGE_LOG_SCRIPT % (JS_DIR / "messages.js").as_uri()
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_room_is_403_for_a_banned_user_and_left_off_the_list(client, logged_in):
    room = Room.objects.create(slug="strict", name="Strict room")
    room.banned.add(logged_in)
    response = client.get(reverse("chat:room", kwargs={"slug": "strict"}))
    assert response.status_code == 403
    assert "Strict room" not in client.get(reverse("chat:room_list")).content.decode()


SOCKET_SCRIPT = """
import assert from "node:assert/strict";

const opened = [];
class FakeWebSocket {
  static OPEN = 1;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    opened.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen(); }
  drop(code) { this.readyState = 3; this.onclose({ code, reason: "" }); }
}
globalThis.WebSocket = FakeWebSocket;
globalThis.window = {
  location: { protocol: "https:", host: "chat.example" },
  addEventListener() {},
};
globalThis.document = { hidden: false, addEventListener() {} };
const { ReconnectingSocket, State } = await import("%s");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Backoff delays are random: wait until the next attempt, at most 6 s.
const nextAttempt = async (count) => {
  for (let waited = 0; opened.length < count && waited < 6000; waited += 50) {
    await sleep(50);
  }
  assert.equal(opened.length, count);
};

let after = null;
const states = [];
const frames = [];
const socket = new ReconnectingSocket({
  path: () => "/ws/chat/r/" + (after === null ? "" : `?after=${after}`),
  onFrame: (frame) => frames.push(frame),
  onState: (state, detail) => states.push([state, detail.code]),
});
socket.start();
// Every socket declares its 10 s ping (README, Liveness).
assert.equal(opened[0].url, "wss://chat.example/ws/chat/r/?heartbeat=10&presence=diff");
assert.equal(socket.send({ type: "ping" }), false);
opened[0].open();
assert.equal(socket.send({ type: "ping" }), true);
opened[0].onmessage({ data: '{"type": "pong"}' });
opened[0].onmessage({ data: "not json" });
assert.deepEqual(frames, [{ type: "pong" }]);

// An abnormal close: back off, then resume from where the caller is.
after = 7;
opened[0].drop(1006);
assert.deepEqual(states.at(-1), [State.RECONNECTING, 1006]);
await nextAttempt(2);
assert.equal(opened[1].url, "wss://chat.example/ws/chat/r/?after=7&heartbeat=10&presence=diff");
opened[1].open();

// 4429 (flooding, too many tabs) waits long, unless asked to retry now.
opened[1].drop(4429);
assert.equal(states.at(-1)[0], State.RECONNECTING);
await sleep(200);
assert.equal(opened.length, 2);
socket.retryNow();
await nextAttempt(3);
opened[2].open();

// 1013 (too far behind) and 1012 (a restart) reconnect within seconds.
opened[2].drop(1013);
await nextAttempt(4);
opened[3].open();
opened[3].drop(1012);
await nextAttempt(5);
opened[4].open();
// 4408 (the server heard nothing for twice the heartbeat) reconnects too.
opened[4].drop(4408);
assert.equal(states.at(-1)[0], State.RECONNECTING);
await nextAttempt(6);
opened[5].open();

// 4404 is final.
opened[5].drop(4404);
assert.deepEqual(states.at(-1), [State.CLOSED, 4404]);
await sleep(1500);
assert.equal(opened.length, 6);
console.log("ok");
"""


HEARTBEAT_SCRIPT = """
import assert from "node:assert/strict";

const opened = [];
class FakeWebSocket {
  static OPEN = 1;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    opened.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen(); }
}
globalThis.WebSocket = FakeWebSocket;
globalThis.window = {
  location: { protocol: "http:", host: "chat.example" },
  addEventListener() {},
};
const listeners = {};
globalThis.document = {
  hidden: true,
  addEventListener(type, fn) { listeners[type] = fn; },
};
const { ReconnectingSocket } = await import("%s");
const socket = new ReconnectingSocket({
  path: () => "/ws/presence/",
  onFrame() {},
  onState() {},
});
// Opened while hidden: its timers may fire once a minute, so it says 60 s.
socket.start();
assert.equal(opened[0].url, "ws://chat.example/ws/presence/?heartbeat=60&presence=diff");
opened[0].open();
// Shown: 10 s from now on, said with a ping; hidden again: 60 s.
document.hidden = false;
listeners.visibilitychange();
assert.deepEqual(opened[0].sent.at(-1), { type: "ping", heartbeat: 10 });
document.hidden = true;
listeners.visibilitychange();
assert.deepEqual(opened[0].sent.at(-1), { type: "ping", heartbeat: 60 });
socket.stop();
console.log("ok");
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_socket_declares_its_heartbeat_by_visibility():
    script = HEARTBEAT_SCRIPT % (JS_DIR / "socket.js").as_uri()
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_socket_reconnects_and_resumes_but_not_after_4404():
    script = SOCKET_SCRIPT % (JS_DIR / "socket.js").as_uri()
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
