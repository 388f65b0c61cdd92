import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_reviewer_signs_in_and_sees_the_articles(page, sign_in, reviewer, article):
    sign_in(page, reviewer)
    assert page.locator("h1").first.inner_text() == "Articles"
    assert page.get_by_role("link", name=article.title).is_visible()


def test_wrong_password_shows_an_error_and_stays_signed_out(page, reviewer):
    page.goto("/accounts/login/")
    page.fill("#id_username", reviewer.username)
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").is_visible()
    page.goto("/")
    assert "/accounts/login/" in page.url
