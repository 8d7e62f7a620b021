from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

from accounts.views import LoginView, ProfileView, account_status, admin_login
from project import errors
from project.api import api
from project.api import not_found as api_not_found
from project.health import healthz
from project.monitoring import metrics_view

# The client's translations (locale/*/djangojs.po) change only with a
# deployment: cached for an hour. Pages ask for /jsi18n/?lang=<code>, so a
# browser's cached copy is never one of another language.
javascript_catalog = cache_page(3600)(JavaScriptCatalog.as_view())

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # Before the admin's own: one login form, with allauth's limits.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
    path("accounts/profile/", ProfileView.as_view(), name="profile"),
    path("accounts/status/", account_status, name="account_status"),
    # Before allauth's own: the same view, which also says why a session
    # ended when its user was deactivated.
    path("accounts/login/", LoginView.as_view(), name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
    re_path(r"^api/(?P<path>.*)$", api_not_found),
    path("", include("chat.urls")),
]

handler403 = errors.forbidden
handler404 = errors.not_found
handler500 = errors.server_error
