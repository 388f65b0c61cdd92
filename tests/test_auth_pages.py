"""Sign-in, sign-out and password change: pages of the app, with clear errors."""

import pytest
from django.urls import reverse

from tests.factories import ClaimFactory, UserFactory

PASSWORD = "correct-horse-battery"  # the factories' password

pytestmark = pytest.mark.django_db


def test_sign_in_page_uses_the_app_layout(client):
    html = client.get(reverse("login")).content.decode()

    assert "<h1>Sign in</h1>" in html
    assert 'class="topbar"' in html
    assert "annotations/account.css" in html
    assert 'autocomplete="current-password"' in html


def test_visiting_a_page_signed_out_asks_to_sign_in_and_returns_there(client, reviewer):
    response = client.get(reverse("annotations:article-list"), {"sort": "title"}, follow=True)
    html = response.content.decode()
    assert "Sign in to continue." in html
    assert 'name="next" value="/?sort=title"' in html

    response = client.post(
        reverse("login"),
        {"username": reviewer.username, "password": PASSWORD, "next": "/?sort=title"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/?sort=title"


def test_wrong_password_shows_a_clear_error_and_keeps_the_username(client, reviewer):
    response = client.post(reverse("login"), {"username": reviewer.username, "password": "nope"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-error" role="alert"' in html
    assert "Please enter a correct username and password" in html
    assert f'value="{reviewer.username}"' in html
    assert "_auth_user_id" not in client.session


def test_empty_sign_in_form_marks_the_missing_fields(client):
    html = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()

    assert 'aria-invalid="true" aria-describedby="id_username_error"' in html
    assert 'id="id_password_error"' in html
    assert "This field is required." in html


def test_sign_in_does_not_echo_html_in_the_username(client):
    html = client.post(
        reverse("login"), {"username": '"><script>x()</script>', "password": "nope"}
    ).content.decode()

    assert "<script>x()" not in html
    assert "&quot;&gt;&lt;script&gt;x()&lt;/script&gt;" in html


def test_sign_out_is_a_post_and_lands_on_sign_in(client, reviewer):
    client.force_login(reviewer)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("fixture", "role"), [("reviewer", "Reviewer"), ("editor", "Editor"), ("admin_user", "Admin")]
)
def test_top_bar_shows_the_user_and_their_role(client, request, fixture, role):
    client.force_login(request.getfixturevalue(fixture))

    html = client.get(reverse("password_change")).content.decode()

    assert f'<span class="role-badge">{role}</span>' in html
    assert 'action="/accounts/logout/"' in html


def test_top_bar_says_when_an_account_has_no_role(client):
    client.force_login(UserFactory(username="nora", first_name="Nora", last_name="Quill"))

    html = client.get(reverse("password_change")).content.decode()

    assert "Nora Quill" in html
    assert '<span class="role-badge">No role</span>' in html


def test_only_admins_see_the_admin_link(client, reviewer, admin_user):
    client.force_login(reviewer)
    assert reverse("admin:index") not in client.get(reverse("password_change")).content.decode()

    client.force_login(admin_user)
    assert reverse("admin:index") in client.get(reverse("password_change")).content.decode()


def test_password_change_shows_each_error_and_keeps_the_old_password(client, reviewer):
    client.force_login(reviewer)

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "short", "new_password2": "different"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "The password was not changed" in html
    assert "Your old password was entered incorrectly" in html
    assert "The two password fields didn’t match." in html
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_password_change_succeeds_and_keeps_the_user_signed_in(client, reviewer):
    client.force_login(reviewer)
    new = "a-much-longer-passphrase-41"

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )

    assert "Your new password is in use" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.check_password(new)
    assert client.get(reverse("annotations:article-list")).status_code == 200


def test_a_refused_page_explains_why_in_the_app_layout(client):
    client.force_login(UserFactory(username="nora"))

    response = client.get(reverse("annotations:article-list"))

    html = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in html
    assert "This needs the Reviewer role." in html
    assert "Your account has no role yet" in html


def test_an_editor_only_action_tells_a_reviewer_which_role_it_needs(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)

    response = client.post(reverse("annotations:claim-approve", args=[claim.article_id, claim.pk]))

    assert response.status_code == 403
    assert "This needs the Editor role." in response.content.decode()
