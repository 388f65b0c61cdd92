from django.http import HttpResponseBadRequest


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
