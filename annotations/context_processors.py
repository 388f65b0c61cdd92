def roles(request):
    """Expose the signed-in user's role flags to templates (for showing controls, not access)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_reviewer": False, "is_editor": False, "is_admin": False}
    return {"is_reviewer": user.is_reviewer, "is_editor": user.is_editor, "is_admin": user.is_admin}
