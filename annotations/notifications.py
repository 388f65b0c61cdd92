"""Notification e-mails, sent after the request, never inside it.

``send_emails_after_commit`` is the one entry point: once the change that made the notifications
commits, a job of the queue (django-tasks, the database backend the background jobs use) is
queued to e-mail them, and a worker (``manage.py run_worker``) sends them. So a slow or
unreachable mail server never holds up the person whose action caused them, a change that rolls
back sends nothing, and e-mails queued when the app process stops or restarts are still sent:
the queue is in the database. ``send_emails`` takes only ids and reads everything again, and
marks each e-mail sent (``emailed_at``), so a job run twice sends nothing twice.

A mail server that is down, unreachable or answers "try again later" (a 4xx reply) is tried
again: the job queues itself once more after ``FACTCHECK_JOB_RETRY_SECONDS``, doubled at each
attempt as background jobs do, up to ``FACTCHECK_EMAIL_ATTEMPTS`` attempts; the e-mails already
sent are not sent again. Then, or at once for a refusal (a 5xx reply: a bad address, wrong
credentials), the job fails with the reason, which the worker logs and the queue keeps.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


def send_emails_after_commit(notification_ids: list[int]) -> None:
    if notification_ids:
        ids = list(notification_ids)
        # robust: the change is committed; a queue that cannot be written to costs the e-mails
        # (logged), never the response of the person who made the change.
        transaction.on_commit(lambda: email_notifications.enqueue(ids), robust=True)


class MailNotSent(RuntimeError):
    """An attempt to e-mail notifications failed; the message says whether it is tried again."""


def is_transient(error: BaseException) -> bool:
    """Worth trying again: the mail server answered "later" (4xx) or could not be reached."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    # smtplib's other errors are OSErrors too; the rest are the network's (refused, timed out).
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


@task()
def email_notifications(notification_ids: list[int], attempt: int = 1) -> int:
    """The queue's job for one change's notifications: e-mail them (``send_emails``), trying
    again later when the mail server is unavailable. A failure is recorded on the task result
    and logged by the worker."""
    try:
        return send_emails(notification_ids)
    except Exception as error:
        attempts = settings.FACTCHECK_EMAIL_ATTEMPTS
        if not is_transient(error):
            raise
        if attempt >= attempts:
            raise MailNotSent(
                f"E-mailing notifications failed: {error} (gave up after {attempt} attempts)"
            ) from error
        delay = settings.FACTCHECK_JOB_RETRY_SECONDS * 2 ** (attempt - 1)
        later = timezone.now() + datetime.timedelta(seconds=delay)
        email_notifications.using(run_after=later).enqueue(notification_ids, attempt + 1)
        raise MailNotSent(
            f"Attempt {attempt} of {attempts} to e-mail notifications failed ({error}); "
            f"trying again in {delay} s."
        ) from error


def send_emails(notification_ids: list[int]) -> int:
    """E-mail each notification whose recipient has an address and asked for its kind; each is
    sent once (``emailed_at``). Returns how many were sent."""
    from annotations.models import Notification, NotificationSettings

    pending = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("recipient", "actor")
    sent = 0
    kinds_by_person: dict[int, list[str]] = {}
    for notification in pending:
        person = notification.recipient
        if not person.email or not person.is_active:
            continue
        if person.pk not in kinds_by_person:
            kinds_by_person[person.pk] = NotificationSettings.email_kinds_of(person)
        if notification.kind not in kinds_by_person[person.pk]:
            continue
        context = {
            "notification": notification,
            "link": settings.FACTCHECK_PUBLIC_BASE_URL.rstrip("/")
            + notification.get_absolute_url(),
        }
        send_mail(
            subject=f"[factcheck] {notification.get_kind_display()}",
            message=render_to_string("annotations/notifications/email.txt", context),
            from_email=None,
            recipient_list=[person.email],
        )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent
