from django import forms

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if any(not ch.isprintable() for ch in name):
            raise forms.ValidationError("Use printable characters only.")
        return name
