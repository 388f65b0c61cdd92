"""Clients for the API tests: a person's token client, as a script would call the API."""

from django.test import Client

from annotations.models import ApiToken


def token_client(user, name: str = "tests") -> Client:
    """A client sending ``user``'s new personal token with every request (no session)."""
    _token, secret = ApiToken.issue(user, name)
    return Client(headers={"Authorization": f"Bearer {secret}"}, raise_request_exception=False)


def claim_body(article, needle: str, **fields) -> dict:
    """The body that creates a claim on the first occurrence of ``needle`` in the article."""
    start = article.body.index(needle)
    return {
        "article": article.pk,
        "start": start,
        "end": start + len(needle),
        "quote": needle,
        **fields,
    }
