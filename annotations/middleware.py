from django.http import HttpResponseBadRequest, HttpResponseNotAllowed


class RejectNulInQueryMiddleware:
    """Refuse query strings holding NUL characters with a 400.

    No text column can store NUL (PostgreSQL refuses it outright), so a search or filter value
    containing one is never meaningful; forms refuse it for POSTed fields already.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "The address contains a NUL character.", content_type="text/plain"
            )
        return self.get_response(request)


# Methods the app answers; anything else (TRACE, OPTIONS, PUT, WebDAV…) is a 405 before any
# view runs, so no view can mistake it for a GET.
ALLOWED_METHODS = ("GET", "HEAD", "POST")
# The API (annotations/api/) speaks HTTP in full: replacing, changing and deleting resources,
# and OPTIONS for the Web Annotation Protocol and CORS preflights.
API_PATH_PREFIX = "/api/"
API_METHODS = (*ALLOWED_METHODS, "PUT", "PATCH", "DELETE", "OPTIONS")


class AllowedMethodsMiddleware:
    """Answer 405 to every request method the app does not use, on every URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        allowed = API_METHODS if request.path.startswith(API_PATH_PREFIX) else ALLOWED_METHODS
        if request.method not in allowed:
            response = HttpResponseNotAllowed(allowed, content_type="text/plain")
            response.content = b"This method is not allowed."
            return response
        return self.get_response(request)


def public_page(view):
    """Mark a view whose response is the same for everyone (a published page): the caching it
    sets is kept, where every other signed-in response is ``private, no-store``."""
    view.public_page = True
    return view


class PrivateCacheMiddleware:
    """Signed-in responses are ``Cache-Control: private, no-store``, so internal pages (drafts,
    comments) never stay in a browser's or a proxy's cache after sign-out; and the answer to
    signing out asks the browser to drop what it kept anyway (``Clear-Site-Data``): htmx's copies
    of pages pushed into the history live in localStorage, which no Cache-Control reaches.

    Left alone: views marked ``@public_page``, and content-addressed responses the view marked
    ``immutable`` (their URL names their content, like hashed static files, which WhiteNoise
    serves before this runs).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if getattr(request, "signed_in_before_view", False) and not signed_in:
            response["Clear-Site-Data"] = '"cache", "storage"'
        if getattr(request, "serves_public_page", False):
            return response
        if "immutable" in response.get("Cache-Control", ""):
            return response
        if signed_in:
            response["Cache-Control"] = "private, no-store"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.serves_public_page = getattr(view_func, "public_page", False)
        request.signed_in_before_view = request.user.is_authenticated
