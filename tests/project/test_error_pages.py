"""The error pages: a sentence and a next step each, in the reader's
language; the 500 page renders with no database at all."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from chat.models import Room
from project import errors, urls


def test_the_handlers_are_ours():
    assert urls.handler403 is errors.forbidden
    assert urls.handler404 is errors.not_found
    assert urls.handler500 is errors.server_error


def test_500_renders_without_the_database():
    # No django_db mark: any query here would raise.
    response = errors.server_error(RequestFactory().get("/rooms/general/"))
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong on our side" in content
    assert "Try again" in content
    assert "/static/chat/css/site.css" in content


@pytest.mark.django_db
def test_404_is_styled_with_a_way_on(client, make_user):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "There is nothing at this address" in content
    assert reverse("account_login") in content  # anonymous: log in
    client.force_login(make_user("ada"))
    response = client.get(reverse("chat:room", kwargs={"slug": "nope"}))
    assert response.status_code == 404
    assert reverse("chat:room_list") in response.content.decode()


@pytest.mark.django_db
def test_404_in_russian(client):
    response = client.get("/no/such/page/", headers={"accept-language": "ru"})
    assert "По этому адресу ничего нет" in response.content.decode()


@pytest.mark.django_db
def test_403_for_a_ban_says_why_and_where_to_go(client, make_user):
    ada = make_user("ada")
    Room.objects.create(slug="strict", name="Strict").banned.add(ada)
    client.force_login(ada)
    response = client.get(reverse("chat:room", kwargs={"slug": "strict"}))
    assert response.status_code == 403
    content = response.content.decode()
    assert "You were banned from this room." in content
    assert reverse("chat:room_list") in content


@pytest.mark.django_db
def test_account_status_describes_only_the_callers_session(client, make_user):
    url = reverse("account_status")
    assert client.get(url).json() == {"state": "anonymous"}
    ada = make_user("ada")
    client.force_login(ada)
    assert client.get(url).json() == {"state": "active"}
    ada.is_active = False
    ada.save()
    assert client.get(url).json() == {"state": "deactivated"}
    assert client.post(url).status_code == 405
    client.logout()
    assert client.get(url).json() == {"state": "anonymous"}
