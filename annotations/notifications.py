"""Notification e-mails, sent after the request, never inside it.

``send_emails_after_commit`` is the one entry point: once the change that made the notifications
commits, their e-mails go to a single background worker thread of this process, so a slow or
unreachable mail server never holds up the person whose action caused them, and a change that
rolls back sends nothing. When the project gains a job queue (django-tasks), this function is
the one place to turn into a job: ``send_emails`` takes only ids and reads everything again.
"""

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, transaction
from django.template.loader import render_to_string
from django.utils import timezone

logger = logging.getLogger(__name__)

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notification-mail")
_last: Future | None = None


def send_emails_after_commit(notification_ids: list[int]) -> None:
    if notification_ids:
        transaction.on_commit(lambda: _queue(notification_ids))


def _queue(notification_ids: list[int]) -> None:
    global _last
    _last = _worker.submit(_send_in_worker, notification_ids)


def wait_for_emails(timeout: float = 10) -> None:
    """Block until the e-mails queued so far are sent (for tests and management commands)."""
    if _last is not None:
        _last.result(timeout=timeout)


def _send_in_worker(notification_ids: list[int]) -> None:
    try:
        send_emails(notification_ids)
    except Exception:
        logger.exception("Notification e-mails %s not sent", notification_ids)
    finally:
        close_old_connections()


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
