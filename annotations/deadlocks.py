"""A transaction PostgreSQL aborted to break a deadlock is run again.

Two saves of claims of the same article each hold what the other waits for (a claim's row, the
article's tally row, a family's row) once in a while under load; PostgreSQL then aborts one of
them ("deadlock detected"), and that one may simply run again: nothing it did was kept. Without
this, the person whose save was picked saw a server error (make loadtest, 120 reviewers editing
the same claims).
"""

import functools
import random
import time

from django.db import OperationalError, transaction

#: How many times a transaction is tried before its error is let through. Three let two edits
#: through as server errors in make loadtest's 200 reviewers on two cores (load average 16),
#: where each transaction waited long enough behind the others to meet them again.
ATTEMPTS = 5
#: SQLSTATEs of a transaction aborted only because of another one: deadlock, serialization.
RETRIABLE = {"40P01", "40001"}


def aborted_for_another(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in RETRIABLE


def retry_on_deadlock(function):
    """Run ``function`` again (after a short random pause) when the database aborted its
    transaction to break a deadlock, if the call opened that transaction itself: inside a
    caller's transaction the caller's work is lost too, and the error goes up to it."""

    @functools.wraps(function)
    def retried(*args, **kwargs):
        for attempt in range(1, ATTEMPTS + 1):
            outermost = not transaction.get_connection().in_atomic_block
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if not (outermost and attempt < ATTEMPTS and aborted_for_another(error)):
                    raise
            # Apart by a growing random pause, so the two do not meet again at once.
            time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 — not a secret
        raise AssertionError("unreachable")

    return retried
