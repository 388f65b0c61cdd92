"""People: users with their role, and the sign-in lockouts recorded by django-axes."""

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils import timezone

from annotations.models import ApiToken, Role, User

ROLE_CHOICES = [("", "No role (cannot use the app)"), *Role.choices]
ROLE_HELP = (
    "Reviewers check claims; Editors also approve verdicts and export reports; Admins also "
    "manage this admin site. Each role includes the ones before it."
)


def highest_role(groups) -> str:
    names = {group.name for group in groups}
    for role in (Role.ADMIN, Role.EDITOR, Role.REVIEWER):
        if role in names:
            return role.value
    return ""


class RoleFormMixin(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, required=False, help_text=ROLE_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = highest_role(self.instance.groups.all())


class UserRoleChangeForm(RoleFormMixin, UserChangeForm):
    pass


class UserRoleCreationForm(RoleFormMixin, AdminUserCreationForm):
    pass


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [*Role.choices, ("none", "No role")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.exclude(groups__name__in=Role.values)
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserRoleChangeForm
    add_form = UserRoleCreationForm
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active"]
    list_filter = [RoleFilter, "is_active", "is_superuser"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Role", {"fields": ["role", "is_active"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "email",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="role")
    def role(self, user):
        return highest_role(user.groups.all()) or "—"

    def save_model(self, request, obj, form, change):
        role = form.cleaned_data.get("role", "")
        # is_staff is kept in step for tools that look at it; admin access is by role.
        obj.is_staff = role == Role.ADMIN or obj.is_superuser
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        role = form.cleaned_data.get("role", "")
        other_groups = user.groups.exclude(name__in=Role.values)
        user.groups.set([*other_groups, *Group.objects.filter(name=role)])


# Roles are groups found by name: renaming or deleting one here would silently strip everyone
# of that role. Roles are given on the user's page instead.
admin.site.unregister(Group)
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(BaseAccessAttemptAdmin):
    """Failed sign-ins per user name and address; a locked-out pair is unlocked by deleting its
    record, which the "Unlock" action does."""

    actions = ["unlock", "cleanup_expired_attempts"]

    @admin.action(description="Clean up expired access attempts")
    def cleanup_expired_attempts(self, request, queryset):
        # django-axes' own action reads a timestamp that only its sign-in hooks set on the request.
        request.axes_attempt_time = timezone.now()
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, f"Cleaned up {count} expired access attempt(s).")

    @admin.action(description="Unlock: clear the failed sign-ins of the selected rows")
    def unlock(self, request, queryset):
        count = len(queryset)
        queryset.delete()
        self.message_user(request, f"Unlocked {count} user name/address pair(s).", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Everyone's API tokens: an admin revokes any (a token is never deleted: its record says
    when it was revoked and by whom). Secrets are not stored, so none can be shown."""

    list_display = ("name", "user", "hint", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "hint")
    readonly_fields = (
        "user",
        "name",
        "hint",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    exclude = ("key_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a token is made by its owner, on the account page

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            token.revoke(by=request.user)
        self.message_user(request, f"{len(tokens)} token(s) revoked.", messages.SUCCESS)
