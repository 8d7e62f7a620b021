from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from protocol.limits import MAX_DISPLAY_NAME
from protocol.wire import UserRef, user_ref


class User(AbstractUser):
    """A chat user: a Django user with the name others see in rooms."""

    display_name = models.CharField(
        max_length=MAX_DISPLAY_NAME,
        blank=True,
        help_text="Shown beside your messages; your username when empty.",
    )

    class Meta(AbstractUser.Meta):
        indexes = [
            # Usernames that people type (members, bans, direct messages,
            # mentions) are matched case-insensitively (accounts.usernames).
            models.Index(Lower("username"), name="accounts_user_username_lower"),
        ]

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def ref(self) -> UserRef:
        """The UserRef of PROTOCOL.md."""
        return user_ref(
            id=self.pk, username=self.username, display_name=self.display_name
        )


def user_display(user: User) -> str:
    return user.shown_name
