"""The wire shapes that several JSON endpoints return, as django-ninja
schemas (so the OpenAPI document names each once)."""

from __future__ import annotations

from ninja import Schema


class UserRefOut(Schema):
    id: int
    username: str
    display_name: str


class UsersOut(Schema):
    users: list[UserRefOut]


class DetailOut(Schema):
    detail: str


class ErrorsOut(Schema):
    """Every 400 has this shape (project/api.py maps ninja's own 400s to it)."""

    errors: dict[str, list[str]]
