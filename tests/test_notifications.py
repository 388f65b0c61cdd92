"""Notifications: who is told what about a claim, the inbox and its badge, mentions, e-mail."""

import datetime
import html
import re
import smtplib

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
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


def _notifications(person, count: int, **fields) -> list[Notification]:
    """``count`` notifications for ``person``, one a second apart, the last the newest."""
    claim = ClaimFactory()
    start = timezone.now() - datetime.timedelta(seconds=count)
    return Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind="assigned",
            claim=claim,
            article_id=claim.article_id,
            claim_text=f"Claim number {n}",
            created_at=start + datetime.timedelta(seconds=n),
            **fields,
        )
        for n in range(count)
    )


def test_badge_reads_one_capped_count_with_ten_thousand_notifications(
    client, reviewer, django_assert_num_queries
):
    _notifications(reviewer, 10_000)
    client.force_login(reviewer)
    headers = {"HX-Request": "true", "HX-Target": "inbox-badge"}
    # session, user with their role groups (one query), the unread count (at most 100 rows)
    with django_assert_num_queries(3):
        response = client.get(reverse("annotations:inbox"), headers=headers)
    assert b'aria-label="Inbox, 99+ unread"' in response.content
    assert b'<span class="count unread-count">99+</span>' in response.content


def test_badge_shows_the_exact_count_up_to_ninety_nine(client, reviewer):
    notes = _notifications(reviewer, 120)
    client.force_login(reviewer)
    headers = {"HX-Request": "true", "HX-Target": "inbox-badge"}
    Notification.objects.filter(pk__in=[n.pk for n in notes[:21]]).mark_read()
    badge = client.get(reverse("annotations:inbox"), headers=headers).content.decode()
    assert 'aria-label="Inbox, 99 unread"' in badge
    Notification.objects.filter(pk=notes[-1].pk).mark_read()
    badge = client.get(reverse("annotations:inbox"), headers=headers).content.decode()
    assert 'aria-label="Inbox, 98 unread"' in badge


def test_inbox_page_reads_a_fixed_number_of_queries(client, reviewer, django_assert_num_queries):
    _notifications(reviewer, 120, actor=reviewer)
    client.force_login(reviewer)
    # session, user with their role groups (one query), 26 notifications with their actors (the 26th
    # only tells that there is an older page: nothing counts the whole inbox)
    with django_assert_num_queries(3):
        response = client.get(reverse("annotations:inbox"))
    assert response.content.decode().count('class="notification unread"') == 25


def test_inbox_pages_walk_older_and_back_without_counting(client, reviewer):
    _notifications(reviewer, 60)
    client.force_login(reviewer)
    inbox = reverse("annotations:inbox")

    def shown(response) -> list[int]:
        return [int(n) for n in re.findall(r"Claim number (\d+)<", response.content.decode())]

    def link(response, rel: str) -> str:
        found = re.search(rf'href="(\?[^"]*)" rel="{rel}"', response.content.decode())
        return html.unescape(found.group(1)) if found else ""

    first = client.get(inbox)
    assert shown(first) == list(range(59, 34, -1)) and not link(first, "prev")
    second = client.get(inbox + link(first, "next"))
    assert shown(second) == list(range(34, 9, -1))
    # A notification arriving meanwhile does not shift the pages a reader walks.
    _notifications(reviewer, 1)
    third = client.get(inbox + link(second, "next"))
    assert shown(third) == list(range(9, -1, -1)) and not link(third, "next")
    assert shown(client.get(inbox + link(third, "prev"))) == list(range(34, 9, -1))
    back = client.get(inbox + link(second, "prev"))
    assert shown(back) == list(range(59, 34, -1))
    newest = client.get(inbox + link(back, "prev"))  # the one that arrived, and the 24 below
    assert shown(newest) == [0, *range(59, 35, -1)] and not link(newest, "prev")


def test_a_garbled_inbox_cursor_shows_the_newest_page(client, reviewer):
    _notifications(reviewer, 30)
    client.force_login(reviewer)
    for query in ("?older=yesterday", "?newer=20261207T000000-x", "?older=99991231T235959999999-1"):
        response = client.get(reverse("annotations:inbox") + query)
        assert response.status_code == 200
        assert "Claim number 29<" in response.content.decode(), query


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans")
def test_inbox_reads_walk_its_indexes_without_sorting(reviewer):
    """SQLite's plan of the badge's count and of a page (PostgreSQL's:
    tests/test_inbox_plans_postgres.py): a range of an index each, no sort of the inbox."""
    _notifications(reviewer, 300)
    mine = Notification.objects.filter(recipient=reviewer)
    older = mine.inbox_page().older
    for read, index in (
        (mine.badge, "notification_unread"),
        (mine.inbox_page, "notification_inbox"),
        (lambda: mine.inbox_page(older=older), "notification_inbox"),
    ):
        with CaptureQueriesContext(connection) as context:
            read()
        (query,) = context.captured_queries
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " / ".join(row[-1] for row in cursor.fetchall())
        assert f"USING INDEX {index}" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


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


def mail_server(monkeypatch, *answers):
    """``send_mail`` as a mail server giving ``answers`` in turn (an exception to raise, or
    None to deliver), then delivering."""
    delivered = notifications.send_mail
    pending = list(answers)

    def send(*args, **kwargs):
        answer = pending.pop(0) if pending else None
        if answer is not None:
            raise answer
        return delivered(*args, **kwargs)

    monkeypatch.setattr(notifications, "send_mail", send)


def time_passes():
    """The retries waiting for later are due now (the worker takes due tasks only)."""
    queued_email_jobs().filter(status="READY").update(run_after=timezone.now())


def email_job_states():
    return list(queued_email_jobs().order_by("enqueued_at").values_list("status", flat=True))


def assign(reviewer, editor, django_capture_on_commit_callbacks):
    claim = ClaimFactory()
    with django_capture_on_commit_callbacks(execute=True):
        claim.edit(by=editor, version=claim.version, assignee=reviewer)
    return claim


def test_a_mail_server_that_is_down_is_tried_again_later_and_the_mail_goes_once(
    reviewer, editor, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.FACTCHECK_JOB_RETRY_SECONDS = 30
    mail_server(monkeypatch, ConnectionRefusedError("mail server down"), None)
    claim = assign(reviewer, editor, django_capture_on_commit_callbacks)
    started = timezone.now()
    run_worker()
    assert mail.outbox == []
    assert email_job_states() == ["FAILED", "READY"]
    failed, retry = queued_email_jobs().order_by("enqueued_at")
    assert (
        "Attempt 1 of 4 to e-mail notifications failed (mail server down); trying again in 30 s"
        in (failed.exception_class_path + str(failed.traceback))
    )
    assert retry.run_after >= started + datetime.timedelta(seconds=30)
    run_worker()  # not due yet
    assert mail.outbox == []
    time_passes()
    run_worker()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [reviewer.email]
    assert email_job_states() == ["FAILED", "SUCCESSFUL"]
    assert Notification.objects.get().emailed_at is not None
    assert Claim.objects.get(pk=claim.pk).assignee == reviewer


def test_retries_back_off_then_the_job_is_reported_failed_and_the_change_kept(
    reviewer, editor, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.FACTCHECK_EMAIL_ATTEMPTS = 3
    settings.FACTCHECK_JOB_RETRY_SECONDS = 10
    busy = smtplib.SMTPResponseException(421, b"Service not available, try again later")
    mail_server(monkeypatch, *[busy] * 5)
    claim = assign(reviewer, editor, django_capture_on_commit_callbacks)
    delays = []
    for _ in range(3):
        before = timezone.now()
        run_worker()
        waiting = queued_email_jobs().filter(status="READY").first()
        if waiting:
            delays.append(round((waiting.run_after - before).total_seconds()))
        time_passes()
    assert delays == [10, 20]  # doubled each time
    assert email_job_states() == ["FAILED", "FAILED", "FAILED"]
    last = queued_email_jobs().order_by("enqueued_at").last()
    assert "gave up after 3 attempts" in str(last.traceback)
    assert mail.outbox == []
    assert Notification.objects.get().emailed_at is None  # still in the inbox
    assert Claim.objects.get(pk=claim.pk).assignee == reviewer


def test_a_refusal_from_the_mail_server_is_not_tried_again(
    reviewer, editor, django_capture_on_commit_callbacks, monkeypatch
):
    mail_server(monkeypatch, smtplib.SMTPAuthenticationError(535, b"Bad credentials"))
    assign(reviewer, editor, django_capture_on_commit_callbacks)
    run_worker()
    assert email_job_states() == ["FAILED"]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError("refused"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPResponseException(451, b"local error"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPNotSupportedError("no STARTTLS"), False),
        (ValueError("a bug"), False),
    ],
)
def test_which_mail_errors_are_worth_trying_again(error, transient):
    assert notifications.is_transient(error) is transient


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
