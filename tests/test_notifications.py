"""Notifications: who is told what about a claim, the inbox and its badge, mentions, e-mail."""

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from annotations import notifications
from annotations.models import Claim, Notification, NotificationSettings, Role
from tests.factories import CitationFactory, ClaimFactory, UserFactory, VerdictFactory
from tests.job_support import run_worker

pytestmark = pytest.mark.django_db


def kinds_of(person) -> list[str]:
    return list(
        Notification.objects.filter(recipient=person).order_by("pk").values_list("kind", flat=True)
    )


@pytest.fixture
def editor2(db):
    return UserFactory(username="eve", role=Role.EDITOR)


@pytest.fixture
def proposed(reviewer):
    """A claim whose verdict ``reviewer`` proposed, with a source cited."""
    claim = ClaimFactory(assignee=reviewer)
    CitationFactory(claim=claim)
    claim.refresh_from_db()
    claim.propose_verdict(by=reviewer, version=claim.version, verdict=VerdictFactory())
    return claim


def test_assigning_a_claim_tells_the_assignee_and_not_the_one_who_assigned(reviewer, editor):
    claim = ClaimFactory()
    claim.edit(by=editor, version=claim.version, assignee=reviewer)
    assert kinds_of(reviewer) == [Notification.Kind.ASSIGNED]
    assert kinds_of(editor) == []
    note = Notification.objects.get(recipient=reviewer)
    assert note.actor == editor
    assert note.get_absolute_url() == reverse(
        "annotations:claim-detail", args=[claim.article_id, claim.pk]
    )


def test_assigning_oneself_tells_nobody(reviewer):
    claim = ClaimFactory()
    claim.edit(by=reviewer, version=claim.version, assignee=reviewer)
    assert Notification.objects.count() == 0


def test_a_proposed_verdict_asks_every_editor_but_its_proposer(
    reviewer, reviewer2, editor, editor2, proposed
):
    assert kinds_of(editor) == [Notification.Kind.REVIEW]
    assert kinds_of(editor2) == [Notification.Kind.REVIEW]
    assert kinds_of(reviewer2) == []
    assert Notification.Kind.REVIEW not in kinds_of(reviewer)


def test_a_proposal_sent_back_tells_its_proposer_why(proposed, reviewer, editor):
    proposed.send_back(by=editor, version=proposed.version, reason="The bulletin is for 2022.")
    note = Notification.objects.get(recipient=reviewer, kind=Notification.Kind.SENT_BACK)
    assert note.text == "The bulletin is for 2022."
    assert note.actor == editor


def test_an_approved_proposal_tells_its_proposer(proposed, reviewer, editor):
    proposed.approve(by=editor, version=proposed.version)
    assert Notification.objects.filter(
        recipient=reviewer, kind=Notification.Kind.APPROVED, claim=proposed
    ).exists()


def test_a_mention_reaches_people_with_a_role_and_other_names_stay_text(reviewer, editor):
    no_role = UserFactory(username="norah")
    claim = ClaimFactory()
    claim.add_comment(by=editor, body="@rita, see @nobody and @norah. Thanks @rita.")
    assert kinds_of(reviewer) == [Notification.Kind.MENTIONED]
    assert kinds_of(no_role) == []
    assert Notification.objects.count() == 1
    assert Notification.objects.get().text.startswith("@rita, see")


def test_an_e_mail_address_in_a_comment_is_no_mention(reviewer, editor):
    ClaimFactory().add_comment(by=editor, body="Write to press@rita.example")
    assert Notification.objects.count() == 0


def test_a_comment_tells_those_who_work_on_the_claim_once(proposed, reviewer, editor):
    proposed.add_comment(by=editor, body="Is the 2023 figure final?")
    assert (
        Notification.objects.filter(recipient=reviewer, kind=Notification.Kind.COMMENTED).count()
        == 1
    )
    # The author of a comment is not told of it.
    assert not Notification.objects.filter(
        recipient=editor, kind=Notification.Kind.COMMENTED
    ).exists()


def test_a_deleted_claim_leaves_its_notifications_readable(client, reviewer, editor):
    claim = ClaimFactory()
    claim.edit(by=editor, version=claim.version, assignee=reviewer)
    claim.refresh_from_db()
    claim.delete_version(by=editor, version=claim.version)
    note = Notification.objects.get(recipient=reviewer)
    assert note.claim is None and note.claim_text
    client.force_login(reviewer)
    response = client.get(reverse("annotations:inbox"))
    assert "the claim has since been deleted" in response.content.decode()


# --- The inbox --------------------------------------------------------------------------------


def test_the_inbox_lists_the_persons_own_notifications_newest_first(client, reviewer, editor):
    first, second = ClaimFactory(statement="Buses carry more"), ClaimFactory(statement="Fares")
    first.edit(by=editor, version=first.version, assignee=reviewer)
    second.edit(by=editor, version=second.version, assignee=reviewer)
    second.edit(by=editor, version=second.version, assignee=editor)
    client.force_login(reviewer)
    page = client.get(reverse("annotations:inbox")).content.decode()
    assert page.index("Fares") < page.index("Buses carry more")
    client.force_login(editor)
    assert "Buses carry more" not in client.get(reverse("annotations:inbox")).content.decode()


def test_the_badge_counts_unread_and_mark_all_read_clears_it(client, reviewer, editor):
    for _ in range(3):
        claim = ClaimFactory()
        claim.edit(by=editor, version=claim.version, assignee=reviewer)
    client.force_login(reviewer)
    headers = {"HX-Request": "true", "HX-Target": "inbox-badge"}
    badge = client.get(reverse("annotations:inbox"), headers=headers)
    assert b"<html" not in badge.content
    assert b'aria-label="Inbox, 3 unread"' in badge.content
    response = client.post(reverse("annotations:inbox-mark-all-read"))
    assert response.status_code == 302
    badge = client.get(reverse("annotations:inbox"), headers=headers)
    assert b"unread" not in badge.content
    assert Notification.objects.unread().count() == 0


def test_opening_a_notification_marks_it_read_and_goes_to_the_claim(client, reviewer, editor):
    claim = ClaimFactory()
    claim.edit(by=editor, version=claim.version, assignee=reviewer)
    note = Notification.objects.get()
    client.force_login(reviewer)
    response = client.post(reverse("annotations:notification-open", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == note.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_cannot_be_opened(client, reviewer, reviewer2, editor):
    claim = ClaimFactory()
    claim.edit(by=editor, version=claim.version, assignee=reviewer)
    note = Notification.objects.get()
    client.force_login(reviewer2)
    response = client.post(reverse("annotations:notification-open", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_badge_reads_one_count_with_ten_thousand_notifications(
    client, reviewer, django_assert_num_queries
):
    claim = ClaimFactory()
    Notification.objects.bulk_create(
        Notification(recipient=reviewer, kind="assigned", claim=claim, claim_text="x")
        for _ in range(10_000)
    )
    client.force_login(reviewer)
    headers = {"HX-Request": "true", "HX-Target": "inbox-badge"}
    # session, user, the user's groups (role check), the unread count
    with django_assert_num_queries(4):
        response = client.get(reverse("annotations:inbox"), headers=headers)
    assert b"10000" in response.content


def test_inbox_page_reads_a_fixed_number_of_queries(client, reviewer, django_assert_num_queries):
    claim = ClaimFactory()
    Notification.objects.bulk_create(
        Notification(
            recipient=reviewer, kind="assigned", claim=claim, claim_text="x", actor=reviewer
        )
        for _ in range(120)
    )
    client.force_login(reviewer)
    # session, user, groups, unread count, page count, the page's notifications with actors
    with django_assert_num_queries(6):
        response = client.get(reverse("annotations:inbox"))
    assert response.content.decode().count('class="notification unread"') == 25


# --- Mentions ---------------------------------------------------------------------------------


def test_people_to_mention_are_those_with_a_role(client, reviewer, editor):
    UserFactory(username="rico")  # no role
    client.force_login(editor)
    response = client.get(reverse("annotations:people-search"), {"q": "ri"})
    assert b'data-username="rita"' in response.content
    assert b"rico" not in response.content


def test_the_comment_box_asks_for_people_to_mention(client, reviewer):
    claim = ClaimFactory()
    client.force_login(reviewer)
    response = client.get(reverse("annotations:claim-detail", args=[claim.article_id, claim.pk]))
    assert f'data-mentions="{reverse("annotations:people-search")}"' in response.content.decode()


def test_a_comment_posted_in_the_panel_mentions(client, reviewer, editor):
    claim = ClaimFactory()
    client.force_login(editor)
    client.post(
        reverse("annotations:claim-comment", args=[claim.article_id, claim.pk]),
        {"body": "@rita can you check the table?"},
    )
    assert kinds_of(reviewer) == [Notification.Kind.MENTIONED]


# --- E-mail -----------------------------------------------------------------------------------


def queued_email_jobs():
    return DBTaskResult.objects.filter(task_path="annotations.notifications.email_notifications")


def test_e_mail_is_queued_after_the_commit_and_sent_by_the_worker(
    reviewer, editor, django_capture_on_commit_callbacks
):
    claim = ClaimFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim.edit(by=editor, version=claim.version, assignee=reviewer)
    assert mail.outbox == [] and not queued_email_jobs().exists()  # nothing inside the change
    for callback in callbacks:
        callback()
    # Queued in the database, not in this process: a restart before the worker runs loses nothing.
    assert list(queued_email_jobs().values_list("status", flat=True)) == ["READY"]
    assert mail.outbox == []
    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [reviewer.email]
    assert "assigned to you" in message.subject
    path = reverse("annotations:claim-detail", args=[claim.article_id, claim.pk])
    assert f"https://factcheck.example.org{path}" in message.body
    assert Notification.objects.get().emailed_at is not None
    assert list(queued_email_jobs().values_list("status", flat=True)) == ["SUCCESSFUL"]
    run_worker()  # nothing is left to send twice
    assert len(mail.outbox) == 1


def test_a_mail_server_that_is_down_fails_the_job_and_keeps_the_change(
    reviewer, editor, django_capture_on_commit_callbacks, monkeypatch
):
    claim = ClaimFactory()
    with django_capture_on_commit_callbacks(execute=True):
        claim.edit(by=editor, version=claim.version, assignee=reviewer)

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(notifications, "send_mail", refused)
    run_worker()
    assert mail.outbox == []
    assert list(queued_email_jobs().values_list("status", flat=True)) == ["FAILED"]
    assert Claim.objects.get(pk=claim.pk).assignee == reviewer
    notification = Notification.objects.get()
    assert notification.emailed_at is None  # still in the inbox, not marked as e-mailed


def test_e_mail_settings_turn_a_kind_off(
    client, reviewer, editor, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:notification-settings"), {"email_kinds": ["review"]}
    )
    assert response.status_code == 302
    assert NotificationSettings.email_kinds_of(reviewer) == ["review"]
    claim = ClaimFactory()
    with django_capture_on_commit_callbacks(execute=True):
        claim.edit(by=editor, version=claim.version, assignee=reviewer)
    run_worker()
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=reviewer).count() == 1  # still in the inbox


def test_an_unknown_kind_in_the_settings_is_refused_with_a_message(client, reviewer):
    client.force_login(reviewer)
    response = client.post(
        reverse("annotations:notification-settings"), {"email_kinds": ["everything"]}
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert NotificationSettings.email_kinds_of(reviewer) == list(
        NotificationSettings.DEFAULT_EMAIL_KINDS
    )


def test_a_change_that_rolls_back_notifies_nobody(reviewer, editor):
    from django.db import transaction

    claim = ClaimFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        claim.edit(by=editor, version=claim.version, assignee=reviewer)
        raise RuntimeError
    assert Notification.objects.count() == 0
    assert Claim.objects.get(pk=claim.pk).assignee is None
