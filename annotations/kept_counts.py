"""Counts the database keeps with triggers: installing, checking and removing a set of them.

The dashboard's tallies (``annotations/tallies.py``) and the sources' usage counts
(``annotations/source_tallies.py``) each keep counts with triggers on both engines, whose
names start with the set's prefix and end with a signature of their definition. A
``TriggerSet`` is what the two share: which of its triggers exist, dropping them, making them
again (then counting everything again) when they are missing or their definition changed,
replacing their PostgreSQL functions without counting again when a migration says the change
counts the same, and removing them with their PostgreSQL functions. What they count and how
stays in each module.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction


@dataclass(frozen=True, eq=False)
class TriggerSet:
    #: The start of every trigger's and function's name.
    prefix: str
    #: The table each trigger is on, by the start of its name.
    tables: dict[str, str]
    #: The PostgreSQL functions' names (without the prefix), for ``remove``.
    functions: tuple[str, ...]
    #: The PostgreSQL functions' definitions (``CREATE OR REPLACE FUNCTION …``).
    function_sql: Callable[[], list[str]]
    #: name → ``CREATE TRIGGER`` statement, for the connection's engine.
    wanted: Callable[[object], dict[str, str]]
    #: Whether the tables the triggers read and write are there as they write them.
    tables_ready: Callable[[object], bool]
    #: Counts everything again (the triggers keep the counts from then on).
    recount: Callable[[object], None]

    def existing(self, connection) -> set[str]:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                like = self.prefix.replace("_", "\\_") + "%%"
                cursor.execute(f"SELECT tgname FROM pg_trigger WHERE tgname LIKE '{like}'")  # noqa: S608
            else:
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return {name for (name,) in cursor.fetchall() if name.startswith(self.prefix)}

    def drop(self, connection) -> None:
        names = self.existing(connection)
        with connection.cursor() as cursor:
            for name in names:
                table = next(t for start, t in self.tables.items() if name.startswith(start))
                on = f' ON "{table}"' if connection.vendor == "postgresql" else ""
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"{on}')

    def ensure(self, connection=None) -> bool:
        """Make the triggers match the definition; when they did not, count everything
        again. True when they were (re)made."""
        connection = connection or default_connection
        if connection.vendor not in ("sqlite", "postgresql") or not self.tables_ready(connection):
            return False
        wanted = self.wanted(connection)
        if set(wanted) == self.existing(connection):
            return False
        with transaction.atomic(using=connection.alias):
            self.drop(connection)
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    for function in self.function_sql():
                        cursor.execute(function)
                for statement in wanted.values():
                    cursor.execute(statement)
            self.recount(connection)
        return True

    def replace_functions(
        self, connection=None, *, from_signatures: tuple[str, ...], to_signature: str
    ) -> bool:
        """For a migration whose change of the PostgreSQL functions leaves every count as it
        is: the triggers of a definition before it (one of ``from_signatures``: each release
        since the counts were last changed) get the functions and the names of the one it
        makes (``to_signature``), without counting everything again (minutes on a desk of
        millions of claims: this takes a moment of each table's lock instead). Anything else
        — SQLite, triggers missing, another definition before or after (a later migration's:
        its own counts may differ) — is left to ``ensure``. True when the triggers were made
        again (and everything counted)."""
        connection = connection or default_connection
        if connection.vendor != "postgresql" or not self.tables_ready(connection):
            return self.ensure(connection)
        wanted = self.wanted(connection)
        existing = self.existing(connection)
        signatures = {name.rsplit("_", 1)[-1] for name in existing}
        if len(signatures) != 1 or not signatures <= set(from_signatures):
            return self.ensure(connection)
        (from_signature,) = signatures
        before = {name.removesuffix(f"_{from_signature}"): name for name in existing}
        after = {name.removesuffix(f"_{to_signature}"): name for name in wanted}
        if (
            set(before) != set(after)
            or set(before.values()) & set(after.values())
            or not all(name.endswith(f"_{to_signature}") for name in wanted)
        ):
            return self.ensure(connection)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for function in self.function_sql():
                cursor.execute(function)
            for kind, name in after.items():
                table = next(t for start, t in self.tables.items() if name.startswith(start))
                cursor.execute(f'ALTER TRIGGER "{before[kind]}" ON "{table}" RENAME TO "{name}"')
        return False

    def remove(self, connection=None) -> None:
        connection = connection or default_connection
        if connection.vendor not in ("sqlite", "postgresql"):
            return
        self.drop(connection)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for name in self.functions:
                    cursor.execute(f"DROP FUNCTION IF EXISTS {self.prefix}{name}()")

    def drop_before_migrate(self, sender, using="default", plan=None, **kwargs) -> None:
        """Before ``migrate`` on SQLite: a trigger naming a table Django rebuilds to alter it
        makes the rebuild fail. Only when there are migrations to apply: ``bin/serve``
        migrates at every start, and everything would be counted again."""
        from django.db import connections

        connection = connections[using]
        if connection.vendor == "sqlite" and plan:
            self.drop(connection)
