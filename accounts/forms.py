from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from protocol.limits import MAX_DISPLAY_NAME


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]
        labels = {"display_name": _("Display name")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # No maxlength in the page: a browser would cut a longer name without
        # a word; the form says how long it may be instead.
        field = self.fields["display_name"]
        # Here, not in Meta: the text is made in the reader's language.
        field.help_text = _(
            "Shown beside your messages instead of your username; up to "
            "%(max)s characters. Leave it empty to show your username."
        ) % {"max": MAX_DISPLAY_NAME}
        field.widget.attrs.pop("maxlength", None)
        field.validators = [
            v for v in field.validators if not isinstance(v, MaxLengthValidator)
        ]

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if any(not ch.isprintable() for ch in name):
            raise forms.ValidationError(
                _(
                    "Use letters, digits, spaces and punctuation only "
                    "(no control characters)."
                )
            )
        if len(name) > MAX_DISPLAY_NAME:
            raise forms.ValidationError(
                ngettext(
                    "Use at most %(max)s characters; this name has %(count)s.",
                    "Use at most %(max)s characters; this name has %(count)s.",
                    len(name),
                )
                % {"max": MAX_DISPLAY_NAME, "count": len(name)}
            )
        return name
