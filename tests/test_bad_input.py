"""Bad input on every form: each POST form found on the app's pages is sent with one field at a
time replaced by a hostile value (empty, negative, huge, not a number, NUL, control characters,
very long text, a stale version). The answer is never a server error, and a refused save keeps
the claim's text as it was."""

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Claim
from tests import security_support as support

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    "",
    "-1",
    "0",
    str(2**63),
    str(10**30),
    "1.5",
    "abc",
    "1e309",
    "\x00",
    "text\x00with NUL",
    "\x1b[31m\r\n\t",
    "\U0001f600" * 10,
    "x" * 100_000,
    "2024-02-30",
    "[]",
]
SKIP_FIELDS = {"csrfmiddlewaretoken"}


def _pages(world):
    article, claim, source = world["article"], world["claim"], world["source"]
    return [
        article.get_absolute_url(),
        reverse("annotations:claim-detail", args=[article.pk, claim.pk]),
        reverse("annotations:source-detail", args=[source.pk]),
        reverse("annotations:article-list"),
        reverse("password_change"),
    ]


def test_no_form_field_value_causes_a_server_error(admin_user, settings):
    settings.FACTCHECK_RATE_LIMITS = {}
    world = support.build_world()
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    forms = {}
    for page in _pages(world):
        html = support.response_text(client.get(page))
        for action, fields, target in support.post_forms(html):
            if action and "logout" not in action and "delete" not in action:
                forms.setdefault(action, (fields, target))
    assert len(forms) >= 5, sorted(forms)
    errors, posted = [], 0
    for action, (fields, target) in forms.items():
        headers = {"HX-Request": "true", "HX-Target": target} if target else {}
        for name in fields:
            if name in SKIP_FIELDS:
                continue
            for value in HOSTILE_VALUES:
                current = Claim.objects.filter(pk=world["claim"].pk).values("version").first()
                data = dict(fields)
                if "version" in data and name != "version" and current:
                    data["version"] = str(current["version"])
                data[name] = value
                response = client.post(action, data, headers=headers)
                posted += 1
                if response.status_code >= 500:
                    error = getattr(response, "exc_info", None)
                    why = f"{error[0].__name__}: {str(error[1])[:120]}" if error else ""
                    errors.append(f"POST {action} {name}={value[:20]!r}: {why}")
    assert posted >= 100
    assert not errors, "\n".join(dict.fromkeys(errors))


def test_a_stale_or_forged_version_is_refused_and_keeps_the_text(admin_user):
    world = support.build_world()
    claim = world["claim"]
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    before = Claim.objects.filter(pk=claim.pk).values().get()
    url = reverse("annotations:claim-update", args=[claim.article_id, claim.pk])
    for version in (claim.version - 1, claim.version + 5, "abc", "", str(2**63)):
        response = client.post(
            url,
            {"statement": "Overwritten", "version": version},
            headers={"HX-Request": "true", "HX-Target": "claim-panel"},
        )
        assert response.status_code < 500
    after = Claim.objects.filter(pk=claim.pk).values().get()
    assert after["statement"] == before["statement"]
    assert after["version"] == before["version"]
