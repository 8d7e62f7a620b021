import pytest

pytestmark = pytest.mark.django_db


def test_profile_changes_display_name(client, make_user):
    user = make_user("ada")
    client.force_login(user)
    page = client.get("/accounts/profile/")
    assert page.status_code == 200
    assert b"display_name" in page.content
    response = client.post("/accounts/profile/", {"display_name": "  Ada L.  "})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Ada L."
    assert user.ref() == {"id": user.pk, "username": "ada", "display_name": "Ada L."}


def test_display_name_falls_back_to_username(make_user):
    user = make_user("grace")
    assert user.ref()["display_name"] == "grace"


@pytest.mark.parametrize("value", ["x" * 51, "bad\x00name", "new\nline", "\u202eevil"])
def test_profile_rejects_bad_display_names(client, make_user, value):
    user = make_user("ada", display_name="Ada")
    client.force_login(user)
    response = client.post("/accounts/profile/", {"display_name": value})
    assert response.status_code == 200
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.display_name == "Ada"


def test_hostile_display_name_is_escaped(client, make_user):
    user = make_user("ada")
    client.force_login(user)
    client.post("/accounts/profile/", {"display_name": "<script>alert(1)</script>"})
    page = client.get("/accounts/profile/")
    assert b"<script>alert(1)</script>" not in page.content
    assert b"&lt;script&gt;" in page.content
