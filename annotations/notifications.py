"""Notification e-mails, sent after the request, never inside it.

``send_emails_after_commit`` is the one entry point: once the change that made the notifications
commits, a job of the queue (django-tasks, the database backend the background jobs use) is
queued to e-mail them, and a worker (``manage.py run_worker``) sends them. So a slow or
unreachable mail server never holds up the person whose action caused them, a change that rolls
back sends nothing, and e-mails queued when the app process stops or restarts are still sent:
the queue is in the database. ``send_emails`` takes only ids and reads everything again, and
marks each e-mail sent (``emailed_at``), so a job run twice sends nothing twice.
"""

import logging

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


@task()
def email_notifications(notification_ids: list[int]) -> int:
    """The queue's job for one change's notifications: e-mail them (``send_emails``). A failure
    (the mail server down) is recorded on the task result and logged by the worker."""
    return send_emails(notification_ids)


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
