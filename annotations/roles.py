"""Access rules by role, for views. Every view states the role it needs with one decorator."""

from functools import wraps

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from annotations.models import Role, User


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


# --- The signed-in person of each request, with their roles ----------------------------------

#: The backend that checks passwords (``settings.AUTHENTICATION_BACKENDS``), and the one that
#: reads the person signed in for every later request.
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"
SESSION_BACKEND = "annotations.roles.SignedInUserBackend"


class SignedInUserBackend(BaseBackend):
    """Reads the person a session signed in, for every request, with their role groups: one
    query instead of two (the person's row, then their groups), whose SQL is compiled once per
    process (``constant_rows``): a round trip and about 0.7 ms of CPU of every request (make
    bench-scale, "claim create POST"). It signs no one in: ``ModelBackend`` checks passwords,
    and the session it signs in is handed over to this backend (``hand_session_over``).
    A session signed in before keeps ``ModelBackend`` and works as it did."""

    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        return User.objects.signed_in(pk)


@receiver(user_logged_in)
def hand_session_over(sender, request, user, **kwargs) -> None:
    """Once ``ModelBackend`` has checked a person's password, their session's later requests
    read them through ``SignedInUserBackend``."""
    session = getattr(request, "session", None)
    if session is not None and session.get(BACKEND_SESSION_KEY) == SIGN_IN_BACKEND:
        session[BACKEND_SESSION_KEY] = SESSION_BACKEND
