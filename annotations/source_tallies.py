# ruff: noqa: S608 — every statement here is built from our own table, column and state names.
"""How many claims cite each source, kept by the database as citations and claims change.

A source's usage line ("cited by N claims, backing M approved verdicts"), the source list's
columns, filters and sorts and the admin's source list read ``SourceTally`` (one row per
source) instead of counting the source's citations and looking up each citing claim's state:
the page of a source cited 5,481 times spent 25–30 ms of its time on those 5,481 claims
(about 22,000 buffers) on the 2,000,000-claim desk, and the source list counted every
source's citations to show 50 of them (README, "Scale").

What is counted, as ``SourceQuerySet.with_usage`` always showed it:

- ``claims``: the distinct claims citing the source (a claim citing it twice counts once);
- ``approved_verdicts``: those of them that are approved with a verdict.

Triggers keep the counts whatever writes (``Claim.save``, ``QuerySet.update``, a merge of
sources, deletes, ``loaddata``, ``COPY``), on both engines, in the shape of the dashboard's
tallies (``annotations/tallies.py``):

- a citation added, removed or moved counts its (source, claim) pair when it is the pair's
  first citation or its last, and only while the claim exists;
- a claim added or removed counts for every source its citations name; a claim whose
  "approved with a verdict" changes moves ``approved_verdicts`` of those sources;
- a source's row is made (counted) by a trigger when the source is inserted, and removed with
  it.

So each count is the claims that exist and cite the source, whichever of a claim and its
citations goes first in a transaction (the foreign keys are checked at commit).

On PostgreSQL the claims' and citations' triggers run once per statement over its transition
tables. They first lock the claims named (``FOR NO KEY UPDATE``, in id order) and then the
tallies' rows (in source order) before counting in a new statement: two transactions citing
the same source for the same claim, or one citing it while another approves the claim, take
turns, and the second counts with what the first committed (READ COMMITTED, Django's default).
On SQLite (one writer at a time) they are row triggers.

The triggers' names carry a signature of their definition: ``ensure`` (from the migration and
after every ``migrate``) makes them again when it changed or they are missing, then counts
every source again (``recount``). On SQLite they are dropped before ``migrate`` applies
anything, as the dashboard's are (Django rebuilds a table to alter it, which fails while
another table's trigger names it).
"""

import hashlib

from django.db import transaction

from annotations.kept_counts import TriggerSet

SOURCES = "annotations_source"
CITATIONS = "annotations_citation"
CLAIMS = "annotations_claim"
TALLY = "annotations_sourcetally"
PREFIX = "source_tally_"
#: The table each trigger is on, by the word after the prefix in its name.
TABLES = {"citations": CITATIONS, "claims": CLAIMS, "sources": SOURCES}


def _approved(row: str = "") -> str:
    """1 when the claim ``row`` is approved with a verdict, else 0 (both engines)."""
    from annotations.models import Claim

    return (
        f"CASE WHEN {row}state = '{Claim.State.APPROVED.value}' "
        f"AND {row}verdict_id IS NOT NULL THEN 1 ELSE 0 END"
    )


def _usage_of(sources: str) -> str:
    """``source_id, claims, approved_verdicts`` counted from the citations of the sources
    ``sources`` selects (a condition on ``c.source_id``), from the claims that exist."""
    return (
        f"SELECT c.source_id, COUNT(DISTINCT c.claim_id) AS claims, "
        f"COUNT(DISTINCT CASE WHEN {_approved('cl.')} = 1 THEN c.claim_id END) "
        "AS approved_verdicts "
        f'FROM "{CITATIONS}" AS c JOIN "{CLAIMS}" AS cl ON cl.id = c.claim_id '
        f"WHERE {sources} GROUP BY c.source_id"
    )


def recount_sql() -> list[str]:
    """Statements counting every source's claims again, writing only the tallies that are not
    what the citations and claims say (as ``tallies.recount_sql`` does for the articles': a
    recount of right counts rewrites nothing, where writing every row again left the table
    twice as large for good on PostgreSQL)."""
    tally = f'"{TALLY}"'
    usage = (
        "SELECT s.id AS source_id, COALESCE(u.claims, 0) AS claims, "
        "COALESCE(u.approved_verdicts, 0) AS approved_verdicts "
        f'FROM "{SOURCES}" AS s LEFT JOIN ({_usage_of("TRUE")}) AS u ON u.source_id = s.id'
    )
    return [
        f"DELETE FROM {tally} WHERE NOT EXISTS "
        f'(SELECT 1 FROM "{SOURCES}" AS s WHERE s.id = {tally}.source_id)',
        f"INSERT INTO {tally} (source_id, claims, approved_verdicts) SELECT s.id, 0, 0 "
        f'FROM "{SOURCES}" AS s WHERE NOT EXISTS '
        f"(SELECT 1 FROM {tally} AS t WHERE t.source_id = s.id)",
        f"UPDATE {tally} SET claims = n.claims, approved_verdicts = n.approved_verdicts "
        f"FROM ({usage}) AS n WHERE n.source_id = {tally}.source_id "
        f"AND ({tally}.claims <> n.claims OR {tally}.approved_verdicts <> n.approved_verdicts)",
    ]


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_lock_tallies(sources: str) -> str:
    """Lock the tallies' rows of ``sources`` (a SELECT of source ids) in one order: two
    statements changing the same sources never wait for each other in a circle."""
    return (
        f'PERFORM 1 FROM "{TALLY}" WHERE source_id IN ({sources}) '
        "ORDER BY source_id FOR NO KEY UPDATE; "
    )


def _pg_apply(changes: str) -> str:
    """Add ``changes`` (rows of ``source_id, dc, da``: claims and approved verdicts added,
    negative when taken away) to the tallies, one update per source."""
    return (
        f'UPDATE "{TALLY}" AS t SET claims = t.claims + m.dc, '
        "approved_verdicts = t.approved_verdicts + m.da FROM ("
        f"SELECT source_id, SUM(dc) AS dc, SUM(da) AS da FROM ({changes}) AS ch "
        "GROUP BY source_id HAVING SUM(dc) <> 0 OR SUM(da) <> 0"
        ") AS m WHERE t.source_id = m.source_id; "
    )


def _pg_citations_function() -> str:
    """The citations' statement trigger: for each (source, claim) pair the statement added
    or took citations from, whether it now has citations and whether it had before."""
    changes = {
        "INSERT": "SELECT source_id, claim_id, 1 AS d FROM new_citations",
        "DELETE": "SELECT source_id, claim_id, -1 AS d FROM old_citations",
        "UPDATE": (
            "SELECT source_id, claim_id, 1 AS d FROM new_citations UNION ALL "
            "SELECT source_id, claim_id, -1 AS d FROM old_citations"
        ),
    }
    branches = []
    for op, rows in changes.items():
        pairs = (
            f"SELECT source_id, claim_id, SUM(d) AS d FROM ({rows}) AS r "
            "GROUP BY source_id, claim_id HAVING SUM(d) <> 0"
        )
        # The pair's citations now (this statement's included) and before it.
        now = (
            f'(SELECT COUNT(*) FROM "{CITATIONS}" AS c '
            "WHERE c.source_id = p.source_id AND c.claim_id = p.claim_id)"
        )
        moved = (
            f"SELECT p.source_id, p.claim_id, (CASE WHEN n.now > 0 THEN 1 ELSE 0 END) "
            "- (CASE WHEN n.now - p.d > 0 THEN 1 ELSE 0 END) AS dc "
            f"FROM ({pairs}) AS p CROSS JOIN LATERAL (SELECT {now} AS now) AS n"
        )
        counted = (
            f"SELECT m.source_id, m.dc, m.dc * {_approved('cl.')} AS da "
            f'FROM ({moved}) AS m JOIN "{CLAIMS}" AS cl ON cl.id = m.claim_id '
            "WHERE m.dc <> 0"
        )
        # Only pairs that gained or lost citations lock anything: an edit of a citation's
        # note or quote writes no count and waits for no one.
        branches.append(
            f"IF TG_OP = '{op}' THEN "
            f'PERFORM 1 FROM "{CLAIMS}" WHERE id IN (SELECT claim_id FROM ({pairs}) AS r) '
            "ORDER BY id FOR NO KEY UPDATE; "
            + _pg_lock_tallies(f"SELECT source_id FROM ({pairs}) AS r")
            + _pg_apply(counted)
            + "END IF; "
        )
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}citations() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN {''.join(branches)}RETURN NULL; END $$"
    )


def _pg_claims_function() -> str:
    """The claims' statement trigger: claims added or removed count for the sources their
    citations name; a claim approved with a verdict, or no longer, moves those sources'
    approved verdicts. A statement that moves no count stops before joining the citations:
    an edit of a claim's text (no claim's "approved with a verdict" changed) compares its
    old and new rows and nothing else; a new claim cited by nothing yet (every claim made
    from a selection) looks up its citations once."""
    cited = f'JOIN "{CITATIONS}" AS c ON c.claim_id = k.id'
    changes = {
        "INSERT": (
            f"SELECT DISTINCT c.source_id, k.id, 1 AS dc, {_approved('k.')} AS da "
            f"FROM new_claims AS k {cited}"
        ),
        "DELETE": (
            f"SELECT DISTINCT c.source_id, k.id, -1 AS dc, -{_approved('k.')} AS da "
            f"FROM old_claims AS k {cited}"
        ),
        "UPDATE": (
            "SELECT DISTINCT c.source_id, k.id, 0 AS dc, "
            f"{_approved('k.')} - {_approved('o.')} AS da "
            f"FROM new_claims AS k JOIN old_claims AS o ON o.id = k.id {cited} "
            f"WHERE {_approved('k.')} <> {_approved('o.')}"
        ),
    }
    # Whether the statement can move a count at all, from the rows it names.
    moves = {
        "INSERT": f"EXISTS (SELECT FROM new_claims AS k {cited})",
        "DELETE": f"EXISTS (SELECT FROM old_claims AS k {cited})",
        "UPDATE": (
            "EXISTS (SELECT FROM new_claims AS k JOIN old_claims AS o ON o.id = k.id "
            f"WHERE {_approved('k.')} <> {_approved('o.')})"
        ),
    }
    branches = []
    for op, rows in changes.items():
        branches.append(
            # Nested: a transition table the other operations name does not exist here.
            f"IF TG_OP = '{op}' THEN IF {moves[op]} THEN "
            + _pg_lock_tallies(f"SELECT source_id FROM ({rows}) AS r")
            + _pg_apply(rows)
            + "END IF; END IF; "
        )
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}claims() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {''.join(branches)}RETURN NULL; END $$"
    )


def _pg_sources_function() -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}sources() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP = 'INSERT' THEN "
        f'INSERT INTO "{TALLY}" (source_id, claims, approved_verdicts) '
        "SELECT NEW.id, COALESCE(u.claims, 0), COALESCE(u.approved_verdicts, 0) "
        f"FROM (SELECT 1) AS one LEFT JOIN ({_usage_of('c.source_id = NEW.id')}) AS u ON TRUE; "
        "ELSE "
        f'DELETE FROM "{TALLY}" WHERE source_id = OLD.id; '
        "END IF; RETURN NULL; END $$"
    )


def _pg_functions() -> list[str]:
    return [_pg_citations_function(), _pg_claims_function(), _pg_sources_function()]


def _pg_triggers(sig: str) -> dict[str, str]:
    triggers = {}
    for key, rows in (("citations", "citations"), ("claims", "claims")):
        for op, refs in (
            ("INSERT", f"NEW TABLE AS new_{rows}"),
            ("UPDATE", f"OLD TABLE AS old_{rows} NEW TABLE AS new_{rows}"),
            ("DELETE", f"OLD TABLE AS old_{rows}"),
        ):
            name = f"{PREFIX}{key}_{op.lower()}_{sig}"
            triggers[name] = (
                f'CREATE TRIGGER "{name}" AFTER {op} ON "{TABLES[key]}" REFERENCING {refs} '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}{key}()"
            )
    name = f"{PREFIX}sources_{sig}"
    triggers[name] = (
        f'CREATE TRIGGER "{name}" AFTER INSERT OR DELETE ON "{SOURCES}" '
        f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}sources()"
    )
    return triggers


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_pair(row: str, sign: str) -> str:
    """The citation ``row`` (new/old) added (``+``) or taken away (``-``): counted when it is
    its pair's first citation, or was its last, and its claim exists."""
    remaining = (
        f'(SELECT COUNT(*) FROM "{CITATIONS}" '
        f"WHERE source_id = {row}.source_id AND claim_id = {row}.claim_id)"
    )
    alone = f"{remaining} = 1" if sign == "+" else f"{remaining} = 0"
    return (
        f'UPDATE "{TALLY}" SET claims = claims {sign} 1, approved_verdicts = approved_verdicts '
        f'{sign} (SELECT {_approved()} FROM "{CLAIMS}" WHERE id = {row}.claim_id) '
        f"WHERE source_id = {row}.source_id "
        f'AND EXISTS (SELECT 1 FROM "{CLAIMS}" WHERE id = {row}.claim_id) AND {alone}; '
    )


def _sqlite_claim(row: str, claims: str, approved: str) -> str:
    """Add ``claims`` and ``approved`` (SQL) to every source the claim ``row`` cites."""
    return (
        f'UPDATE "{TALLY}" SET claims = claims + {claims}, '
        f"approved_verdicts = approved_verdicts + {approved} "
        f'WHERE source_id IN (SELECT source_id FROM "{CITATIONS}" WHERE claim_id = {row}.id); '
    )


def _sqlite_triggers(sig: str) -> dict[str, str]:
    moved = "old.source_id IS NOT new.source_id OR old.claim_id IS NOT new.claim_id"
    was, now = _approved("old."), _approved("new.")
    bodies = {
        "citations_insert": f'AFTER INSERT ON "{CITATIONS}" BEGIN {_sqlite_pair("new", "+")}END',
        "citations_delete": f'AFTER DELETE ON "{CITATIONS}" BEGIN {_sqlite_pair("old", "-")}END',
        "citations_update": (
            f'AFTER UPDATE ON "{CITATIONS}" WHEN {moved} BEGIN '
            f"{_sqlite_pair('old', '-')}{_sqlite_pair('new', '+')}END"
        ),
        "claims_insert": (
            f'AFTER INSERT ON "{CLAIMS}" BEGIN {_sqlite_claim("new", "1", _approved("new."))}END'
        ),
        "claims_delete": (
            f'AFTER DELETE ON "{CLAIMS}" BEGIN '
            f"{_sqlite_claim('old', '-1', '-' + _approved('old.'))}END"
        ),
        "claims_update": (
            f'AFTER UPDATE OF state, verdict_id ON "{CLAIMS}" '
            f"WHEN ({was}) <> ({now}) BEGIN {_sqlite_claim('new', '0', f'({now}) - ({was})')}END"
        ),
        "sources_insert": (
            f'AFTER INSERT ON "{SOURCES}" BEGIN '
            f'INSERT INTO "{TALLY}" (source_id, claims, approved_verdicts) '
            "SELECT new.id, COALESCE(u.claims, 0), COALESCE(u.approved_verdicts, 0) "
            f"FROM (SELECT 1) AS one LEFT JOIN ({_usage_of('c.source_id = new.id')}) AS u "
            "ON 1; END"
        ),
        "sources_delete": (
            f'AFTER DELETE ON "{SOURCES}" BEGIN DELETE FROM "{TALLY}" WHERE source_id = old.id; END'
        ),
    }
    return {
        f"{PREFIX}{name}_{sig}": f'CREATE TRIGGER "{PREFIX}{name}_{sig}" {body}'
        for name, body in bodies.items()
    }


# --- Installation ----------------------------------------------------------------------------


def signature() -> str:
    """Changes with the definition: the triggers' SQL on both engines."""
    definition = "|".join(_pg_functions()) + "|".join(_pg_triggers("").values())
    definition += "|".join(_sqlite_triggers("").values())
    return hashlib.sha256(definition.encode()).hexdigest()[:10]


def wanted_triggers(connection) -> dict[str, str]:
    sig = signature()
    if connection.vendor == "postgresql":
        return _pg_triggers(sig)
    return _sqlite_triggers(sig)


def _tables_ready(connection) -> bool:
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    return {SOURCES, CITATIONS, CLAIMS, TALLY} <= tables


def recount(connection) -> None:
    """Count every source's claims again (the triggers keep them from then on)."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No citation, claim or source may change between the count and the triggers.
            cursor.execute(f'LOCK TABLE "{CITATIONS}", "{CLAIMS}", "{SOURCES}" IN SHARE MODE')
        for statement in recount_sql():
            cursor.execute(statement)


TRIGGERS = TriggerSet(
    prefix=PREFIX,
    tables={f"{PREFIX}{name}": table for name, table in TABLES.items()},
    functions=tuple(TABLES),
    function_sql=_pg_functions,
    wanted=wanted_triggers,
    tables_ready=_tables_ready,
    recount=recount,
)
existing_triggers = TRIGGERS.existing
drop_triggers = TRIGGERS.drop
#: Make the triggers match the definition; when they did not, count every source again.
ensure = TRIGGERS.ensure
remove = TRIGGERS.remove
#: Before ``migrate`` on SQLite, when it has migrations to apply (see the docstring).
drop_before_migrate = TRIGGERS.drop_before_migrate


def repair_after_migrate(sender, using="default", **kwargs) -> None:
    """After ``migrate`` (and ``flush``, which sends the same signal): the triggers back (and
    every source counted again) where they are missing or out of date."""
    from django.db import connections

    ensure(connections[using])
