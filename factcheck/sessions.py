"""Sessions kept in the database exactly as Django's ``db`` engine keeps them, each request's
read by one statement written once per process.

Every signed-in request reads its session before anything else. Django's engine builds and
compiles the same ORM query for it each time (``Session.objects.get(session_key=…,
expire_date__gt=now)``), and makes a model instance of the row: about 0.5 ms of CPU of every
request on the 2,000,000-claim desk, where the statement itself costs PostgreSQL 0.09 ms (make
bench-scale, "claim create POST"; README, "Claim create, a fifth time"). This engine sends the
statement the ORM would send, as plain SQL with the same parameters, and decodes the row's data
as Django does. Saving, expiring, cycling keys and the async reads are Django's own.
"""

import logging

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.db import connections, router
from django.utils import timezone

#: database alias → the statement reading a live session's data by its key.
_READ_SQL: dict[str, str] = {}


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        data = self._session_data_from_db()
        return self.decode(data) if data is not None else {}

    def _session_data_from_db(self) -> str | None:
        """The stored data of this session if it exists and has not expired, else None (and
        the key forgotten, as Django's engine does)."""
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        if alias not in _READ_SQL:
            quote = connection.ops.quote_name
            _READ_SQL[alias] = (
                f"SELECT {quote('session_data')} FROM {quote(self.model._meta.db_table)} "  # noqa: S608 — names are the model's
                f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
            )
        try:
            key = self.session_key
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            with connection.cursor() as cursor:
                cursor.execute(_READ_SQL[alias], [key, now])
                row = cursor.fetchone()
        except SuspiciousOperation as error:
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            row = None
        if row is None:
            self._session_key = None
            return None
        return row[0]
