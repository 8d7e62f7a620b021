"""Admin for rooms and messages, kept fast with many messages: joins instead
of a query per row, no full count, and deletion through the service so the
admin makes tombstones (seqs are never reused) and rooms hear about it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils.functional import cached_property

from accounts.admin import UserAdmin
from accounts.models import User
from chat import broadcast, services
from chat.models import Membership, Message, Room
from chat.search.service import backend
from chat.search.terms import parse_query


class CappedPaginator(Paginator):
    """Counts at most CAP + 1 rows: a common word matches hundreds of
    thousands of messages, and counting them all cost the changelist a
    second. Past CAP the page says "more than CAP" (its pagination template)
    and pages through the newest; filters narrow the rest."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()


class MembershipInline(admin.TabularInline):
    """A room's members. Removing one here acts at once: their sockets of a
    private room close and their site sockets hear room.removed (chat.live)."""

    model = Membership
    extra = 0
    fields = ("user", "muted", "last_read", "joined_at")
    readonly_fields = ("joined_at",)
    # Autocomplete, not a select: that would render every user.
    autocomplete_fields = ("user",)
    show_change_link = False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "kind", "owner", "last_seq", "created_at")
    list_filter = ("kind",)
    list_select_related = ("owner",)
    search_fields = ("slug", "name", "owner__username")
    autocomplete_fields = ("owner", "banned")
    readonly_fields = ("last_seq", "rev", "created_at")
    inlines = (MembershipInline,)
    show_full_result_count = False

    def save_related(self, request, form, formsets, change) -> None:
        room = form.instance
        before = set(room.banned.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        newly_banned = set(room.banned.values_list("pk", flat=True)) - before
        if newly_banned:
            # A ban made here must act like one made through the API: no
            # longer a member, and live sockets to the room closed.
            room.members.remove(*newly_banned)
            for user_id in newly_banned:
                broadcast.after_commit(
                    broadcast.user_kicked, user_id=user_id, room_id=room.pk
                )


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "room",
        "seq",
        "author",
        "short_body",
        "created_at",
        "deleted",
    )
    list_select_related = ("room", "author")
    list_filter = ("deleted", "created_at", "room")
    # The box searches bodies through the full-text index, and authors and
    # rooms by exact name (get_search_results).
    search_fields = ("body",)
    search_help_text = 'Words of the body; "quoted words" as a phrase.'
    ordering = ("-id",)
    show_full_result_count = False
    paginator = CappedPaginator
    raw_id_fields = ("room", "author")
    readonly_fields = (
        "room",
        "seq",
        "author",
        "body",
        "created_at",
        "client_id",
        "deleted",
        "edited_at",
        "rev",
    )
    exclude = ("search_terms",)
    actions = ("tombstone_messages",)

    @admin.display(description="body")
    def short_body(self, message: Message) -> str:
        return message.body if len(message.body) <= 80 else message.body[:79] + "…"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The same index as GET /api/search/, not Django's substring scan of
        # every body (1.06 s over 1,000,000 messages on PostgreSQL).
        if not search_term.strip():
            return queryset, False
        query = parse_query(search_term)
        if not query.sequences:
            return queryset.none(), False
        sql, params = backend().match_sql(query)
        found = Q(pk__in=RawSQL(sql, params))
        # A term that is exactly a username or a room's slug also finds
        # that user's or room's messages (two indexed look-ups).
        term = search_term.strip()
        if "\x00" not in term:
            authors = list(
                get_user_model()
                .objects.filter(username=term)
                .values_list("pk", flat=True)
            )
            rooms = list(Room.objects.filter(slug=term).values_list("pk", flat=True))
            if authors:
                found |= Q(author_id__in=authors)
            if rooms:
                found |= Q(room_id__in=rooms)
        return queryset.filter(found), False

    def get_actions(self, request: HttpRequest) -> dict:
        # Django's delete_selected removes rows and leaves holes in the seqs.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Messages get their seq from store.message_create only.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(
        description="Delete selected messages (leave tombstones)",
        permissions=("change",),
    )
    def tombstone_messages(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for message_id in queryset.filter(deleted=False).values_list("pk", flat=True):
            try:
                services.message_delete(message_id=message_id, by=request.user)
            except (PermissionDenied, Message.DoesNotExist):
                continue
            count += 1
        self.message_user(request, f"Deleted {count} message(s).", messages.SUCCESS)


class RoomsOfUserInline(admin.TabularInline):
    """The rooms a user is a member of, on the user's page."""

    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("room", "muted", "last_read", "joined_at")
    readonly_fields = ("room", "joined_at")
    verbose_name = "room"
    verbose_name_plural = "rooms (memberships)"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # add members on the room's page, where the room is known

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("room")


# The user's page gains their rooms; accounts knows nothing of chat, so the
# inline is added here (imports flow chat -> accounts).
admin.site.unregister(User)


@admin.register(User)
class ChatUserAdmin(UserAdmin):
    inlines = (*UserAdmin.inlines, RoomsOfUserInline)
