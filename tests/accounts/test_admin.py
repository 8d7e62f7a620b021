import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client


def test_user_admin_lists_searches_and_filters(staff_client, make_user):
    make_user("ada", display_name="Countess")
    make_user("bob", is_active=False)
    page = staff_client.get("/admin/accounts/user/?q=Countess")
    assert page.status_code == 200
    assert b"ada" in page.content and b"bob" not in page.content
    page = staff_client.get("/admin/accounts/user/?is_active__exact=0")
    assert b"bob" in page.content and b">ada<" not in page.content


def test_admin_actions_deactivate_and_activate(staff_client, make_user):
    ada = make_user("ada")
    staff_client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [ada.pk]},
    )
    ada.refresh_from_db()
    assert not ada.is_active
    staff_client.post(
        "/admin/accounts/user/",
        {"action": "activate_users", "_selected_action": [ada.pk]},
    )
    ada.refresh_from_db()
    assert ada.is_active
