"""The inbox figures of `make bench` (issue 16): the header badge's unread count and the inbox's
first page for a person with 10,000 notifications, ≤ 10 ms median server time each.

The delivery of live updates to 500 open readers is measured by `make loadtest` (loadtest.live),
against a real ASGI server.
"""

import os
import statistics
import time

from bench.measure import Result, measure

TARGET_MS = 10
NOTIFICATIONS = 10_000


def figures(client, person, *, runs: int, warmup: int, log) -> list[Result]:
    # Imported here so that `python -m bench.live` can configure Django first.
    from django.urls import reverse

    from annotations.models import Claim, Notification

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
    badge_headers = {"HX-Request": "true", "HX-Target": "inbox-badge"}

    def ok(response):
        return None if response.status_code == 200 else f"HTTP {response.status_code}"

    results = [
        timed(
            f"inbox badge (unread count), {NOTIFICATIONS:,} notifications",
            lambda: client.get(inbox, headers=badge_headers),
            runs=runs,
            warmup=warmup,
            check=ok,
        ),
        timed(
            f"inbox first page, {NOTIFICATIONS:,} notifications",
            lambda: client.get(inbox),
            runs=runs,
            warmup=warmup,
            check=ok,
        ),
    ]
    # The badge's worst case: every one unread (it counts no further than "99+").
    read_at = dict(
        Notification.objects.filter(recipient=person, read_at__isnull=False).values_list(
            "pk", "read_at"
        )
    )
    Notification.objects.filter(pk__in=read_at).update(read_at=None)
    try:
        results.append(
            timed(
                f"inbox badge, {NOTIFICATIONS:,} notifications all unread",
                lambda: client.get(inbox, headers=badge_headers),
                runs=runs,
                warmup=warmup,
                check=ok,
            )
        )
    finally:
        for moment in set(read_at.values()):
            read = [pk for pk, when in read_at.items() if when == moment]
            Notification.objects.filter(pk__in=read).update(read_at=moment)
    return results


def timed(figure: str, call, *, runs: int, warmup: int, check) -> Result:
    """``measure``, with the median CPU time of the process in the note beside the load average:
    on a machine other processes keep busy the wall time grows with the load (waiting for a
    core), the CPU time much less."""
    cpu_ms: list[float] = []

    def call_on_the_clock():
        started = time.process_time()
        outcome = call()
        cpu_ms.append((time.process_time() - started) * 1000)
        return outcome

    load = os.getloadavg()[0]
    result = measure(
        figure, call_on_the_clock, runs=runs, warmup=warmup, target_ms=TARGET_MS, check=check
    )
    if result.median_ms is not None:
        timed_cpu = cpu_ms[warmup : warmup + runs]
        result.note = (
            f"CPU {statistics.median(timed_cpu):.1f} ms; "
            f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
        )
    return result


def main() -> int:
    """`python -m bench.live`: the inbox figures alone, on a throwaway database of their own
    (a few articles with claims, one reviewer given 10,000 notifications)."""
    import random
    import shutil
    import sys
    import tempfile
    from pathlib import Path

    from bench.run import SEED, configure_environment

    def log(message: str) -> None:
        print(f"[bench.live {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="factcheck-bench-live-"))
    try:
        configure_environment(tmp)
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from annotations.models import Role
        from bench import data
        from bench.report import describe_machine, machine, table

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        reviewer = data.ensure_users(1, "benchreviewer", Role.REVIEWER)[0]
        rng = random.Random(SEED)
        for n in range(5):
            data.make_article(rng, claims=100, author=reviewer, tag=f"live{n}")
        client = Client()
        client.force_login(reviewer)
        results = figures(client, reviewer, runs=30, warmup=3, log=log)
        print(f"Machine: {describe_machine(machine())}")
        print(table(results))
        return 0 if all(result.passed is not False for result in results) else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
