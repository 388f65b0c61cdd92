"""Access rules by role, for views. Every view states the role it needs with one decorator."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from annotations.models import Role


def role_required(role: Role):
    """Allow the view only to signed-in users holding ``role`` or a higher one.

    Anonymous users never get this far: ``LoginRequiredMiddleware`` redirects them to sign in.
    """
    check = {
        Role.REVIEWER: lambda user: user.is_reviewer,
        Role.EDITOR: lambda user: user.is_editor,
        Role.ADMIN: lambda user: user.is_admin,
    }[role]

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied(f"This needs the {role.label} role.")
            return view(request, *args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator


reviewer_required = role_required(Role.REVIEWER)
editor_required = role_required(Role.EDITOR)
admin_required = role_required(Role.ADMIN)
