"""The inbox figures of `make bench` (issue 16): the header badge's unread count and the inbox's
first page for a person with 10,000 notifications, ≤ 10 ms median server time each.

The delivery of live updates to 500 open readers is measured by `make loadtest` (loadtest.live),
against a real ASGI server.
"""

from django.urls import reverse

from annotations.models import Claim, Notification
from bench.measure import Result, measure

TARGET_MS = 10
NOTIFICATIONS = 10_000


def figures(client, person, *, runs: int, warmup: int, log) -> list[Result]:
    held = Notification.objects.filter(recipient=person).count()
    if held < NOTIFICATIONS:
        log(f"giving {person.username} {NOTIFICATIONS - held} notifications (a tenth unread)")
        claim_ids = list(Claim.objects.order_by("pk").values_list("pk", "article_id")[:500])
        Notification.objects.bulk_create(
            (
                Notification(
                    recipient=person,
                    kind=Notification.Kind.COMMENTED,
                    claim_id=claim_ids[n % len(claim_ids)][0] if claim_ids else None,
                    article_id=claim_ids[n % len(claim_ids)][1] if claim_ids else None,
                    claim_text=f"Bench claim {n}",
                    text="A comment on a claim you work on.",
                )
                for n in range(held, NOTIFICATIONS)
            ),
            batch_size=2_000,
        )
        unread = Notification.objects.filter(recipient=person).order_by("-pk")[
            : NOTIFICATIONS // 10
        ]
        Notification.objects.filter(recipient=person).exclude(pk__in=unread).mark_read()
    inbox = reverse("annotations:inbox")

    def ok(response):
        return None if response.status_code == 200 else f"HTTP {response.status_code}"

    return [
        measure(
            f"inbox badge (unread count), {NOTIFICATIONS:,} notifications",
            lambda: client.get(inbox, headers={"HX-Request": "true", "HX-Target": "inbox-badge"}),
            runs=runs,
            warmup=warmup,
            target_ms=TARGET_MS,
            check=ok,
        ),
        measure(
            f"inbox first page, {NOTIFICATIONS:,} notifications",
            lambda: client.get(inbox),
            runs=runs,
            warmup=warmup,
            target_ms=TARGET_MS,
            check=ok,
        ),
    ]
