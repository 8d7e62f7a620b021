from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy
from django.views.generic import UpdateView

from accounts.forms import ProfileForm


class ProfileView(LoginRequiredMixin, UpdateView):
    """The signed-in user's own profile: the display name others see."""

    form_class = ProfileForm
    template_name = "account/profile.html"
    success_url = reverse_lazy("profile")

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        messages.success(self.request, "Your display name was saved.")
        return super().form_valid(form)
