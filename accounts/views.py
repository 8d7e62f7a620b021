from allauth.account.views import LoginView as AllauthLoginView
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, JsonResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import UpdateView

from accounts.forms import ProfileForm
from accounts.models import User


def _deactivated_user(request: HttpRequest) -> User | None:
    """The user this browser's session belonged to, when that user was
    deactivated since: Django then treats the session as anonymous but keeps
    it, so the session still says who it was."""
    if request.user.is_authenticated:
        return None
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=False).first()


@never_cache
@require_GET
def account_status(request: HttpRequest) -> JsonResponse:
    """What became of this browser's session, for the client to say so when
    its sockets are refused: {"state": "active" | "deactivated" |
    "anonymous"}. It only ever describes the caller's own session."""
    if request.user.is_authenticated:
        state = "active"
    elif _deactivated_user(request) is not None:
        state = "deactivated"
    else:
        state = "anonymous"
    return JsonResponse({"state": state})


class LoginView(AllauthLoginView):
    """allauth's login page, which also tells a deactivated user why their
    session ended instead of only asking them to log in again."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["deactivated_user"] = _deactivated_user(self.request)
        return context


class ProfileView(LoginRequiredMixin, UpdateView):
    """The signed-in user's own profile: the display name others see."""

    form_class = ProfileForm
    template_name = "account/profile.html"
    success_url = reverse_lazy("profile")

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        messages.success(self.request, _("Your display name was saved."))
        return super().form_valid(form)


def admin_login(request, extra_context=None):
    """/admin/login/ is the site's own login (allauth's, with its limits on
    failed attempts per address and per account and address, counted in
    Redis by every process), not the admin's second, unlimited form."""
    from django.contrib.auth import REDIRECT_FIELD_NAME
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import redirect
    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme, urlencode

    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if not request.user.is_staff:
            raise PermissionDenied("This account may not use the admin.")
        return redirect(target)
    query = urlencode({REDIRECT_FIELD_NAME: target})
    return redirect(f"{reverse('account_login')}?{query}")
