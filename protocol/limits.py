"""Limits of PROTOCOL.md, shared by client frames, JSON schemas and models."""

import re

import emoji as emoji_data

MAX_BODY = 4000  # code points, after str.strip()
MAX_CLIENT_ID = 64
MAX_ROOM_NAME = 80
MAX_ROOM_DESCRIPTION = 500
MAX_SLUG = 50
MAX_USERNAME = 150
MAX_DISPLAY_NAME = 50
MAX_EMOJI = 32  # code points: the longest ZWJ sequences are well under
MAX_REACTIONS = 20  # distinct emoji on one message

# A room's slug is a Django slug, lower case, 1 to 50 characters.
SLUG_PATTERN = r"^[-a-z0-9_]{1,50}$"
SLUG_RE = re.compile(SLUG_PATTERN)

# (min, max, default) of `limit` on history requests.
HISTORY_BEFORE_LIMIT = (1, 100, 50)
HISTORY_AFTER_LIMIT = (1, 500, 100)
API_HISTORY_LIMIT = (1, 100, 50)
SEARCH_LIMIT = (1, 50, 20)  # GET /api/search/
MAX_SEARCH_QUERY = 200  # code points of `q`, after stripping

INITIAL_HISTORY = 50  # messages in the first history frame
RESUME_HISTORY = 500  # at most, in the first frame of a resume (?after=)
# At most, in `changed` of a resume (?after=&rev=); past it `changed_more`
# is true and the client reloads the room instead (a rev from long ago).
RESUME_CHANGED = 1000

# Largest value a 64-bit signed id or seq column holds: a bigger number in a
# query would make the database driver raise instead of finding nothing.
MAX_INT64 = 2**63 - 1

# A lone UTF-16 surrogate (JSON's "\ud800") decodes to a Python str that no
# database driver can encode: refused where text enters, like NUL.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    """Whether `text` holds a lone surrogate code point (not valid Unicode)."""
    return _SURROGATE_RE.search(text) is not None


def body_problem(body: object) -> tuple[str, str] | None:
    """(error code, sentence) when `body`, already stripped, breaks the
    message.send rules; None when it is fine."""
    if not isinstance(body, str):
        return "bad_request", "`body` is required and must be text."
    if not body:
        return "bad_request", "`body` is empty."
    if len(body) > MAX_BODY:
        return "too_long", f"`body` is longer than {MAX_BODY} characters."
    # PostgreSQL cannot store NUL in text; refusing it everywhere keeps
    # SQLite and PostgreSQL deployments alike.
    if "\x00" in body:
        return "bad_request", "`body` must not contain NUL characters."
    if has_surrogates(body):
        return "bad_request", "`body` must be valid Unicode (no lone surrogates)."
    return None


def client_id_problem(client_id: object) -> str | None:
    """A sentence when `client_id` (None: absent) is not 1 to 64 characters of
    text without NUL; None when it is fine."""
    if client_id is None:
        return None
    if (
        not isinstance(client_id, str)
        or not 1 <= len(client_id) <= MAX_CLIENT_ID
        or "\x00" in client_id
        or has_surrogates(client_id)
    ):
        return (
            f"`client_id` must be text of 1 to {MAX_CLIENT_ID} characters, "
            "no NUL, valid Unicode."
        )
    return None


def emoji_problem(value: object) -> str | None:
    """A sentence when `value` is not one emoji (a single grapheme that the
    pinned `emoji` package's is_emoji accepts); None when it is."""
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_EMOJI
        or not emoji_data.is_emoji(value)
    ):
        return "`emoji` must be one emoji, such as 👍."
    return None
