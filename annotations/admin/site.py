"""Who reaches the admin site: people holding the Admin role, by role and not by ``is_staff``.

Admin-role users get every model permission (as a superuser would) through
``AdminRoleBackend``, so the admin needs no per-user permission bookkeeping.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ValidationError


def has_admin_role(request) -> bool:
    user = request.user
    return user.is_authenticated and user.is_admin


class AdminRoleAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form, accepting Admin-role users whether or not they are staff."""

    def confirm_login_allowed(self, user):
        if not user.is_active or not user.is_admin:
            raise ValidationError(
                "This account does not have the Admin role. Sign in to the app instead.",
                code="not_admin",
            )


class AdminRoleBackend(BaseBackend):
    """Grant every permission to active users holding the Admin role (authenticates no one)."""

    def has_perm(self, user_obj, perm, obj=None):
        return bool(getattr(user_obj, "is_admin", False))

    def has_module_perms(self, user_obj, app_label):
        return bool(getattr(user_obj, "is_admin", False))


def configure(site: admin.AdminSite) -> None:
    site.has_permission = has_admin_role
    site.login_form = AdminRoleAuthenticationForm
    site.site_header = "factcheck administration"
    site.site_title = "factcheck admin"
    site.index_title = "Sources, vocabulary, people"
    site.site_url = "/"
