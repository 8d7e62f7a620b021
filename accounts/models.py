from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A chat user: a Django user with the name others see in rooms."""

    display_name = models.CharField(
        max_length=50,
        blank=True,
        help_text="Shown beside your messages; your username when empty.",
    )

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def ref(self) -> dict:
        """The UserRef of PROTOCOL.md."""
        return {
            "id": self.pk,
            "username": self.username,
            "display_name": self.shown_name,
        }


def user_display(user: User) -> str:
    return user.shown_name
