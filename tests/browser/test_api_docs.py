"""The API in a real browser: a token made on the account page, and the documentation page
drawn from the app's own assets under its Content-Security-Policy."""

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_makes_a_token_and_reads_the_api_documentation(
    page, sign_in, reviewer, live_server
):
    violations, external = [], []
    live_port = urlsplit(live_server.url).port

    def on_console(message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    def on_request(request):
        if request.url.startswith("http") and urlsplit(request.url).port != live_port:
            external.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    sign_in(page, reviewer)
    page.get_by_role("link", name="API tokens").click()
    page.fill("#id_name", "Notebook")
    page.get_by_role("button", name="Make a token").click()
    secret = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"fct_[\w-]{40,}", secret)
    assert page.get_by_role("cell", name="Notebook").is_visible()

    answer = page.request.get("/api/v1/claims/", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["items"] == []

    page.goto("/api/v1/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 20
    assert page.get_by_text("factcheck API").first.is_visible()
    assert not violations, violations
    assert not external, f"the documentation page fetched from elsewhere: {external}"
