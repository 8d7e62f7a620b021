from django.contrib import admin
from django.urls import include, path

from accounts.views import ProfileView
from project.api import api
from project.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/profile/", ProfileView.as_view(), name="profile"),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
    path("", include("chat.urls")),
]
