"""Sign-up, log-in and log-out through allauth's real views and forms."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_signup_login_logout_round_trip(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "ada",
            "email": "ada@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content
    user = get_user_model().objects.get(username="ada")
    assert user.email == "ada@example.com"
    # Verification is "optional": the new user is in at once, and was sent a link.
    assert client.get("/rooms/").status_code == 200
    assert any("ada@example.com" in m.to for m in mail.outbox)

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/rooms/")["Location"].startswith("/accounts/login/")

    response = client.post("/accounts/login/", {"login": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/rooms/").status_code == 200


@pytest.mark.parametrize("login", ["grace", "grace@example.com", "GRACE@example.com"])
def test_login_by_username_or_email(client, make_user, login):
    make_user("grace", email="grace@example.com", password=PASSWORD)
    response = client.post("/accounts/login/", {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/rooms/").status_code == 200


@pytest.mark.parametrize(
    "form",
    [
        {"login": "grace", "password": "wrong"},
        {"login": "", "password": PASSWORD},
        {"login": "nobody", "password": PASSWORD},
        {"login": "x" * 10_000, "password": PASSWORD},
        {"login": "grace' OR '1'='1", "password": "' OR '1'='1"},
        {},
    ],
)
def test_bad_login_is_refused_with_the_form_again(client, make_user, form):
    make_user("grace", email="grace@example.com", password=PASSWORD)
    response = client.post("/accounts/login/", form)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_log_in(client, make_user):
    make_user("ghost", password=PASSWORD, is_active=False)
    response = client.post("/accounts/login/", {"login": "ghost", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert "inactive" in response["Location"]


@pytest.mark.parametrize(
    "form, field",
    [
        ({"username": "", "email": "a@example.com"}, "username"),
        ({"username": "bad name!", "email": "a@example.com"}, "username"),
        ({"username": "u" * 200, "email": "a@example.com"}, "username"),
        ({"username": "taken", "email": "new@example.com"}, "username"),
        ({"username": "newbie", "email": "not-an-email"}, "email"),
        ({"username": "newbie", "email": "taken@example.com"}, "email"),
        ({"username": "newbie", "email": ""}, "email"),
    ],
)
def test_signup_rejects_bad_fields_and_stores_nothing(client, make_user, form, field):
    make_user("taken", email="taken@example.com")
    before = get_user_model().objects.count()
    response = client.post(
        "/accounts/signup/", {**form, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert get_user_model().objects.count() == before


def test_signup_rejects_weak_or_mismatched_passwords(client):
    for p1, p2 in [("123", "123"), (PASSWORD, PASSWORD + "x"), ("", "")]:
        response = client.post(
            "/accounts/signup/",
            {
                "username": "newbie",
                "email": "n@example.com",
                "password1": p1,
                "password2": p2,
            },
        )
        assert response.status_code == 200
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_anonymous_is_redirected_to_login(client):
    for path in ["/", "/accounts/profile/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_password_change_and_reset_pages(client, make_user):
    user = make_user("lin", password=PASSWORD)
    client.force_login(user)
    new = "another long passphrase 42"
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)

    client.logout()
    mail.outbox.clear()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
