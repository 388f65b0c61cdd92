"""The inbox's reads on PostgreSQL (issue 16: ≤ 10 ms for a person with 10,000 notifications),
shown by PostgreSQL's own plans: the badge's count reads at most ``BADGE_CAP + 1`` rows, found
through the partial index of unread notifications, and a page of the inbox ``PAGE_SIZE + 1``
rows of the inbox index, in its order, from the cursor on: no scan of the table, no sort,
however many notifications the person has. tests/test_notifications.py shows SQLite's plans."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.models import Notification, NotificationQuerySet
from tests.factories import ClaimFactory, UserFactory

pytestmark = [
    # Outside a transaction, so that VACUUM ANALYZE can run, as autovacuum does on a server.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL's plan (tests/test_notifications.py shows SQLite's)",
    ),
]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _plan(read) -> list[dict]:
    with CaptureQueriesContext(connection) as context:
        read()
    (query,) = context.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
        (plan,) = cursor.fetchone()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return list(_nodes(plan[0]["Plan"]))


def test_badge_and_pages_read_a_bounded_range_of_an_index():
    # rita's 10,000 notifications among 40,000 of five people; most have been read, as on a
    # server in use (the bench's person has a tenth unread).
    people = [UserFactory(username=name) for name in ("rita", "oscar", "edith", "sam", "lee")]
    person = people[0]
    claim = ClaimFactory()
    start = timezone.now() - datetime.timedelta(days=30)
    Notification.objects.bulk_create(
        (
            Notification(
                recipient=people[n % 4 and 1 + n % 4],
                kind="commented",
                claim=claim,
                claim_text=f"Claim {n}",
                created_at=start + datetime.timedelta(seconds=n),
                read_at=None if n >= 36_000 else start,
            )
            for n in range(40_000)
        ),
        batch_size=5_000,
    )
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
    mine = Notification.objects.filter(recipient=person)
    assert mine.count() == 10_000 and mine.unread().count() == 1_000
    older = mine.inbox_page().older
    cap, size = NotificationQuerySet.BADGE_CAP, NotificationQuerySet.PAGE_SIZE
    for read, index, most in (
        (mine.badge, "notification_unread", cap + 1),
        (mine.inbox_page, "notification_inbox", size + 1),
        # From the cursor's own row on: it is read, and left out.
        (lambda: mine.inbox_page(older=older), "notification_inbox", size + 2),
    ):
        nodes = _plan(read)
        reads = [n for n in nodes if n.get("Relation Name") == table]
        assert len(reads) == 1, reads
        # Rows of the table read (for the badge, PostgreSQL may first gather the person's
        # entries of the unread index into a bitmap: an index of unread notifications only).
        assert reads[0]["Actual Rows"] + reads[0].get("Rows Removed by Filter", 0) <= most
        indexes = {n["Index Name"] for n in nodes if "Index Name" in n}
        assert indexes - {"annotations_user_pkey"} == {index}  # the actors: by primary key
        assert not [n for n in nodes if n["Node Type"] in {"Seq Scan", "Sort"}]
