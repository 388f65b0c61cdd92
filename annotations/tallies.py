# ruff: noqa: S608 — every statement here is built from our own table, column and state names.
"""Each article's claims counted by state and by verdict, kept by the database as claims change.

The dashboard's charts, its article-state and claim-state filters, its verdict filter and its
progress sorts read these counts (``ArticleTally``: one row per article; ``ArticleVerdictTally``:
one row per article and verdict) instead of every claim: 100,000 rows instead of 2,000,000 on a
desk of that size (README, "Scale").

Triggers keep them, so every way of writing claims counts, whatever Python runs or does not
(``Claim.save``, ``QuerySet.update`` and ``bulk_create``, deletes, ``COPY``):

- **PostgreSQL**: statement-level triggers on the claims table read the statement's old and
  new rows (transition tables) and apply their net change per article in one ``UPDATE`` (and
  one upsert for the verdicts): a bulk update of 1,000 claims writes each article's row once.
  A change that moves no count (a claim's text edited) writes nothing.
- **SQLite**: row-level triggers doing the same for each row.

**The desk's totals by kind of article** (``DeskTally``): the tallies' own triggers add, for
every change of an article's counts, the change to the totals of the articles of its *profile*
(its review state, which claim states it has claims in, ``claim_states``, a bit a state, and
which verdicts its claims have, ``verdict_bits``, a bit a verdict id up to 63), as rows of
changes that are only ever added. The whole desk's totals are their sum; the article-state,
claim-state and verdict filters' totals are the sum of the profiles they select (a few
thousand rows) instead of every selected article's tallies (README, "Scale"). An article whose
profile changes moves its counts, its verdicts' too, from the old profile's totals to the new.
An article's ``verdict_bits`` are set by the claims' trigger (PostgreSQL) or the verdict
tallies' (SQLite) once the verdict tallies changed, where a verdict's count went from 0 or to
it: the tallies' trigger then moves the article, its verdicts as they are now. A verdict whose
id has no bit is counted as any other; its filter sums its articles' tallies.

An article's row is made by a trigger when the article is inserted, and carries a copy of its
title, publication and publisher's name (kept as they change, a publisher's renaming too):
the progress and publisher sorts read a page from an index of this table ((progress, title),
(publisher's name, title)), and ``review_state`` is the article's state
(``Article.state_from``) as a generated column. A decrement only ever updates a row, never
makes one: while an article is deleted, its rows may go before its claims.

The triggers' names carry a signature of their definition (``signature``): ``ensure`` (from the
migration and after every ``migrate``) makes them again when the definition changed or they
are missing, and then counts every article again from its claims (``recount``); a migration
whose change of the functions counts the same renames them instead (``replace_functions``,
0039). On SQLite, Django rebuilds a table to alter it, which drops that table's triggers and
fails while another table's trigger names the rebuilt one, so there the triggers are dropped
before ``migrate`` (``drop_before_migrate``) and made again after it.
"""

import hashlib

from django.db import OperationalError, transaction
from django.db import connection as default_connection

from annotations.kept_counts import TriggerSet

CLAIMS = "annotations_claim"
ARTICLES = "annotations_article"
PUBLISHERS = "annotations_publisher"
TALLY = "annotations_articletally"
VERDICT_TALLY = "annotations_articleverdicttally"
DESK = "annotations_desktally"
PREFIX = "tally_"


def states() -> list[str]:
    """The claim states counted: each is a column of the tally, named as its value."""
    from annotations.models import Claim

    return list(Claim.State.values)


def _counted(state: str, row: str = "") -> str:
    """1 when the row's claim is in ``state``, else 0: one expression for both databases."""
    return f"CASE WHEN {row}state = '{state}' THEN 1 ELSE 0 END"


def _zeros() -> str:
    return ", ".join("0" for _ in states())


def _columns() -> str:
    return ", ".join(f'"{state}"' for state in states())


def state_bit(state: str) -> int:
    """The bit of ``state`` in a profile's ``claim_states``."""
    return 1 << states().index(state)


def profiles_with(state: str) -> list[int]:
    """Every ``claim_states`` with claims in ``state``."""
    bit = state_bit(state)
    return [mask for mask in range(1 << len(states())) if mask & bit]


#: Verdict ids with a bit in a profile's ``verdict_bits``: 1 to 63 (a signed 64-bit integer on
#: both databases). The vocabulary is the desk's (admin-managed); a verdict with a larger id
#: is counted as any other, only its filter sums its articles' tallies (``verdict_bit``).
VERDICT_IDS_WITH_BITS = range(1, 64)


def verdict_bit(verdict_id: int) -> int | None:
    """The bit of the verdict ``verdict_id`` in a profile's ``verdict_bits``; None when its
    id has none (``VERDICT_IDS_WITH_BITS``)."""
    if verdict_id in VERDICT_IDS_WITH_BITS:
        return 1 << (verdict_id - 1)
    return None


def _verdict_bits(article: str) -> str:
    """The ``verdict_bits`` of the article ``article`` (a column, ``NEW.article_id``…): a bit
    per verdict its claims have (one with an id in ``VERDICT_IDS_WITH_BITS``), read from its
    verdict tallies: one expression for both databases (distinct verdicts, distinct bits: their
    sum is their union)."""
    first, last = VERDICT_IDS_WITH_BITS[0], VERDICT_IDS_WITH_BITS[-1]
    return (
        "(SELECT CAST(COALESCE(SUM(CAST(1 AS BIGINT) << CAST(verdict_id - 1 AS INTEGER)), 0) "
        f'AS BIGINT) FROM "{VERDICT_TALLY}" WHERE article_id = {article} AND claims > 0 '
        f"AND verdict_id BETWEEN {first} AND {last})"
    )


def _claim_states(row: str = "") -> str:
    """The ``claim_states`` of the tally ``row`` (``new.``, ``t.``…): a bit per state it has
    claims in."""
    return " + ".join(f'CASE WHEN {row}"{s}" > 0 THEN {state_bit(s)} ELSE 0 END' for s in states())


DESK_COLUMNS = (
    f'"{DESK}" (review_state, claim_states, verdict_bits, state, verdict_id, claims, articles)'
)
#: The same, for the rows a fold or a recount writes: marked folded (``DeskTally.folded``).
FOLDED_COLUMNS = f"{DESK_COLUMNS[:-1]}, folded)"
#: A row without a verdict, typed for PostgreSQL's UNION.
NO_VERDICT = "CAST(NULL AS BIGINT)"


def _desk_from_tallies() -> list[str]:
    """The desk's totals by profile summed from the tallies: claims by state, articles, claims
    by verdict (folded rows: ``fold_desk``)."""
    by_state = " UNION ALL ".join(
        f"SELECT review_state, {_claim_states()}, verdict_bits, '{s}', {NO_VERDICT}, "
        f'SUM("{s}"), 0, TRUE FROM "{TALLY}" GROUP BY 1, 2, 3 HAVING SUM("{s}") <> 0'
        for s in states()
    )
    return [
        f'DELETE FROM "{DESK}"',
        f"INSERT INTO {FOLDED_COLUMNS} {by_state}",
        f"INSERT INTO {FOLDED_COLUMNS} SELECT review_state, {_claim_states()}, verdict_bits, '', "
        f'NULL, 0, COUNT(*), TRUE FROM "{TALLY}" GROUP BY 1, 2, 3',
        f"INSERT INTO {FOLDED_COLUMNS} SELECT t.review_state, {_claim_states('t.')}, "
        f"t.verdict_bits, '', v.verdict_id, SUM(v.claims), 0, TRUE "
        f'FROM "{VERDICT_TALLY}" AS v JOIN "{TALLY}" AS t '
        "ON t.article_id = v.article_id GROUP BY 1, 2, 3, 5 HAVING SUM(v.claims) <> 0",
    ]


#: The verdicts counted from the claims while a recount compares them with the tallies.
RECOUNTED = "recounted_verdicts"


def _differ(a: str, b: str) -> str:
    """``a`` and ``b`` differ, one of them maybe NULL: one expression for both databases."""
    return f"({a} <> {b} OR ({a} IS NULL) <> ({b} IS NULL))"


def recount_sql() -> list[str]:
    """Statements counting every article's claims again, writing only the tallies that are
    not what the claims say: a recount of a desk whose counts were right (a change of the
    triggers that counts the same) rewrites nothing. Writing every row again, as it did, left
    the 2,000,000-claim desk's tallies half as large again (31 → 47 MB, the verdict tallies
    22 → 45 MB: PostgreSQL reuses the space but never gives it back) and the filters that sum
    many tallies slower for good (README, "Scale")."""
    tally, verdicts = f'"{TALLY}"', f'"{VERDICT_TALLY}"'
    sums = ", ".join(f'SUM({_counted(s)}) AS "{s}"' for s in states())
    sets = ", ".join(f'"{s}" = c."{s}"' for s in states())
    counts_differ = " OR ".join(f'{tally}."{s}" <> c."{s}"' for s in states())
    zero_sets = ", ".join(f'"{s}" = 0' for s in states())
    any_counted = " OR ".join(f'"{s}" <> 0' for s in states())
    bits = _verdict_bits(f"{tally}.article_id")
    same_verdict = f"r.article_id = {verdicts}.article_id AND r.verdict_id = {verdicts}.verdict_id"
    publishers = f'"{ARTICLES}" AS a LEFT JOIN "{PUBLISHERS}" AS p ON p.id = a.publisher_id'
    return [
        f"DROP TABLE IF EXISTS {RECOUNTED}",
        f"CREATE TEMPORARY TABLE {RECOUNTED} (article_id BIGINT NOT NULL, "
        "verdict_id BIGINT NOT NULL, claims INTEGER NOT NULL, "
        "PRIMARY KEY (article_id, verdict_id))",
        f"INSERT INTO {RECOUNTED} (article_id, verdict_id, claims) "
        f'SELECT article_id, verdict_id, COUNT(*) FROM "{CLAIMS}" '
        "WHERE verdict_id IS NOT NULL GROUP BY article_id, verdict_id",
        # The verdicts first: each article's verdict_bits are read from them. A row no claim
        # has any more goes, as a recount always left none at 0.
        f"DELETE FROM {verdicts} WHERE NOT EXISTS "
        f"(SELECT 1 FROM {RECOUNTED} AS r WHERE {same_verdict})",
        f"UPDATE {verdicts} SET claims = r.claims FROM {RECOUNTED} AS r "
        f"WHERE {same_verdict} AND {verdicts}.claims <> r.claims",
        f"INSERT INTO {verdicts} (article_id, verdict_id, claims) "
        f"SELECT r.article_id, r.verdict_id, r.claims FROM {RECOUNTED} AS r "
        f"WHERE NOT EXISTS (SELECT 1 FROM {verdicts} AS v "
        "WHERE v.article_id = r.article_id AND v.verdict_id = r.verdict_id)",
        f"DROP TABLE {RECOUNTED}",
        # Each article one tally, with its title, publication and publisher's name.
        f"DELETE FROM {tally} WHERE NOT EXISTS "
        f'(SELECT 1 FROM "{ARTICLES}" AS a WHERE a.id = {tally}.article_id)',
        f"INSERT INTO {tally} (article_id, title, publication, publisher_name, {_columns()}) "
        f"SELECT a.id, a.title, a.publication, p.name, {_zeros()} FROM {publishers} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {tally} AS t WHERE t.article_id = a.id)",
        f"UPDATE {tally} SET title = a.title, publication = a.publication, "
        f"publisher_name = p.name FROM {publishers} WHERE a.id = {tally}.article_id AND "
        f"({tally}.title <> a.title OR {tally}.publication <> a.publication "
        f"OR {_differ(f'{tally}.publisher_name', 'p.name')})",
        f"UPDATE {tally} SET {sets}, verdict_bits = {bits} "
        f'FROM (SELECT article_id, {sums} FROM "{CLAIMS}" GROUP BY article_id) AS c '
        f"WHERE {tally}.article_id = c.article_id "
        f"AND ({counts_differ} OR {tally}.verdict_bits <> {bits})",
        f"UPDATE {tally} SET {zero_sets}, verdict_bits = 0 "
        f"WHERE ({any_counted} OR verdict_bits <> 0) AND NOT EXISTS "
        f'(SELECT 1 FROM "{CLAIMS}" AS c WHERE c.article_id = {tally}.article_id)',
        # Last: the triggers of the tallies added rows of changes meanwhile.
        *_desk_from_tallies(),
    ]


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_function() -> str:
    """The claims' statement trigger: the net change of each article's counts, applied.

    Work a statement cannot need is not done (a claim's INSERT is most of what a reader's
    click waits for, README "Claim create, a fourth time"): an update whose rows have the same
    articles, states and verdicts before and after (a claim's text edited) stops at once,
    and the verdicts' four statements, each firing the verdict tallies' own triggers, run
    only when a row has a verdict (a new claim has none)."""
    changes = {
        "INSERT": "SELECT article_id, state, verdict_id, 1 AS d FROM new_claims",
        "DELETE": "SELECT article_id, state, verdict_id, -1 AS d FROM old_claims",
        "UPDATE": (
            "SELECT article_id, state, verdict_id, 1 AS d FROM new_claims UNION ALL "
            "SELECT article_id, state, verdict_id, -1 AS d FROM old_claims"
        ),
    }
    deltas = ", ".join(
        f"SUM(CASE WHEN state = '{s}' THEN d ELSE 0 END) AS \"{s}\"" for s in states()
    )
    moved = " OR ".join(f'c."{s}" <> 0' for s in states())
    sets = ", ".join(f'"{s}" = t."{s}" + c."{s}"' for s in states())
    # An update has as many old rows as new: when the two are the same multiset of
    # (article, state, verdict), every net change below is zero.
    unchanged = (
        # (Nested: an insert's or a delete's trigger has no old or no new rows to name.)
        "IF TG_OP = 'UPDATE' THEN IF NOT EXISTS ("
        "SELECT article_id, state, verdict_id FROM new_claims EXCEPT ALL "
        "SELECT article_id, state, verdict_id FROM old_claims) THEN RETURN NULL; END IF; END IF; "
    )
    branches = []
    for op, rows in changes.items():
        branches.append(
            f"IF TG_OP = '{op}' THEN "
            f"verdicts := EXISTS (SELECT FROM ({rows}) AS ch WHERE verdict_id IS NOT NULL); "
            # A change of verdicts waits for the article's tally row first, as a change of
            # states does (its UPDATE below): else a verdict changed while another write moves
            # the article to another profile would be booked to the profile it is leaving.
            "IF verdicts THEN "
            f'PERFORM 1 FROM "{TALLY}" WHERE article_id IN ('
            f"SELECT article_id FROM ({rows}) AS ch WHERE verdict_id IS NOT NULL "
            "GROUP BY article_id, verdict_id HAVING SUM(d) <> 0"
            ") ORDER BY article_id FOR NO KEY UPDATE; "
            "END IF; "
            f'UPDATE "{TALLY}" AS t SET {sets} FROM ('
            f"SELECT article_id, {deltas} FROM ({rows}) AS ch GROUP BY article_id"
            f") AS c WHERE t.article_id = c.article_id AND ({moved}); "
            "IF verdicts THEN "
            # More claims of a verdict: the row is made if needed; fewer: only updated.
            f'INSERT INTO "{VERDICT_TALLY}" AS t (article_id, verdict_id, claims) '
            f"SELECT article_id, verdict_id, SUM(d) FROM ({rows}) AS ch "
            "WHERE verdict_id IS NOT NULL GROUP BY article_id, verdict_id HAVING SUM(d) > 0 "
            "ON CONFLICT (article_id, verdict_id) DO UPDATE SET claims = t.claims + "
            "EXCLUDED.claims; "
            f'UPDATE "{VERDICT_TALLY}" AS t SET claims = t.claims + c.d FROM ('
            f"SELECT article_id, verdict_id, SUM(d) AS d FROM ({rows}) AS ch "
            "WHERE verdict_id IS NOT NULL GROUP BY article_id, verdict_id HAVING SUM(d) < 0"
            ") AS c WHERE t.article_id = c.article_id AND t.verdict_id = c.verdict_id; "
            # Last, their articles' verdict_bits, where a verdict came or went: the tallies'
            # trigger then moves the article's counts, verdicts as they are now, to its new
            # profile.
            f'UPDATE "{TALLY}" AS t SET verdict_bits = b.bits FROM ('
            f"SELECT article_id, {_verdict_bits('v.article_id')} AS bits FROM ("
            f"SELECT DISTINCT article_id FROM ({rows}) AS ch WHERE verdict_id IS NOT NULL "
            "GROUP BY article_id, verdict_id HAVING SUM(d) <> 0) AS v"
            ") AS b WHERE t.article_id = b.article_id AND t.verdict_bits <> b.bits; "
            "END IF; "
            "END IF; "
        )
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}claims() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"DECLARE verdicts boolean; BEGIN {unchanged}{''.join(branches)}RETURN NULL; END $$"
    )


def _pg_article_function() -> str:
    """The article's row of the tallies made with it, and its copies kept as it changes.

    Its publisher's name is read with the publisher's row locked (``FOR SHARE``), and when the
    article leaves a publisher, that one's row too, until the transaction ends. A rename locks
    the row it changes, and its trigger copies the name to the tallies of the articles it
    sees: without these locks, under read committed, an article inserted or moved to a
    publisher being renamed, or moved away from it, while the rename is under way kept the
    old name (its trigger read the name before the rename committed; the rename's did not
    see the article yet) or took the new one by mistake (the rename overwrote the moved
    article's row once the move committed). With them, whichever comes second waits for the
    first to commit and then sees it: the rename's copy, or the article's locked read, is the
    committed name. An edit of the title alone leaves the copy of the name to the renames."""
    columns = f"article_id, title, publication, publisher_name, {_columns()}"
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}articles() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE publishers_name text; "
        "BEGIN "
        "IF TG_OP = 'INSERT' THEN "
        f"{_pg_locked_publisher_name()}"
        f'INSERT INTO "{TALLY}" ({columns}) '
        f"VALUES (NEW.id, NEW.title, NEW.publication, publishers_name, {_zeros()}); "
        "ELSIF NEW.publisher_id IS DISTINCT FROM OLD.publisher_id THEN "
        f'PERFORM 1 FROM "{PUBLISHERS}" WHERE id = OLD.publisher_id FOR SHARE; '
        f"{_pg_locked_publisher_name()}"
        f'UPDATE "{TALLY}" SET title = NEW.title, publication = NEW.publication, '
        "publisher_name = publishers_name WHERE article_id = NEW.id; "
        "ELSIF NEW.title IS DISTINCT FROM OLD.title "
        "OR NEW.publication IS DISTINCT FROM OLD.publication THEN "
        f'UPDATE "{TALLY}" SET title = NEW.title, publication = NEW.publication '
        "WHERE article_id = NEW.id; "
        "END IF; RETURN NULL; END $$"
    )


def _pg_locked_publisher_name() -> str:
    """Into ``publishers_name``: the name of the article's (NEW) publisher, its row locked until
    the transaction ends; after a rename under way, the name it committed (NULL: none)."""
    return (
        f'SELECT name INTO publishers_name FROM "{PUBLISHERS}" '
        "WHERE id = NEW.publisher_id FOR SHARE; "
    )


def _publisher_name(article: str) -> str:
    """The name of the publisher of the article row ``article`` (NEW, new): the tally's copy
    the publisher sorts read."""
    return f'(SELECT name FROM "{PUBLISHERS}" WHERE id = {article}.publisher_id)'


def _publisher_renamed(publisher: str) -> str:
    """The statement copying the new name of the publisher row ``publisher`` to the tallies of
    its articles."""
    return (
        f'UPDATE "{TALLY}" SET publisher_name = {publisher}.name WHERE article_id IN '
        f'(SELECT id FROM "{ARTICLES}" WHERE publisher_id = {publisher}.id); '
    )


def _pg_publisher_function() -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}publishers() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN IF NEW.name IS DISTINCT FROM OLD.name THEN "
        f"{_publisher_renamed('NEW')}END IF; RETURN NULL; END $$"
    )


def _pg_profile_function() -> str:
    """The tallies' statement trigger: their change added to the desk's totals by profile.
    An article's old row is taken away from its profile and its new one added (one row of
    changes per profile and state: they cancel when the profile stays), its verdicts' counts
    with it (as they are then: the claims' trigger updates an article's tally before its
    verdict tallies, whose own trigger adds their change to the new profile)."""
    rows = {
        "INSERT": f"SELECT *, {_claim_states()} AS claim_states, 1 AS d FROM new_counts",
        "DELETE": f"SELECT *, {_claim_states()} AS claim_states, -1 AS d FROM old_counts",
    }
    rows["UPDATE"] = f"{rows['INSERT']} UNION ALL {rows['DELETE']}"
    unpivot = ", ".join(f"('{s}', ch.\"{s}\")" for s in states())
    profile = f"review_state, verdict_bits, {_claim_states()}"
    # An update that leaves every article in its profile (a claim added to an article that
    # had claims in its state already): its articles' and verdicts' rows of changes would
    # cancel out, only the states' counts move.
    moved = {
        "INSERT": "TRUE",
        "DELETE": "TRUE",
        "UPDATE": (
            f"EXISTS (SELECT article_id, {profile} FROM new_counts EXCEPT ALL "
            f"SELECT article_id, {profile} FROM old_counts)"
        ),
    }
    branches = []
    for op, changed in rows.items():
        # A statement trigger runs after every claim write, also one that changed no tally:
        # then it stops at the empty transition table.
        table = "old_counts" if op == "DELETE" else "new_counts"
        branches.append(
            f"IF TG_OP = '{op}' THEN IF EXISTS (SELECT FROM {table}) THEN "
            f"INSERT INTO {DESK_COLUMNS} "
            "SELECT ch.review_state, ch.claim_states, ch.verdict_bits, s.state, NULL, "
            "SUM(ch.d * s.n), 0 "
            f"FROM ({changed}) AS ch CROSS JOIN LATERAL (VALUES {unpivot}) AS s(state, n) "
            "GROUP BY 1, 2, 3, 4 HAVING SUM(ch.d * s.n) <> 0; "
            f"IF {moved[op]} THEN "
            f"INSERT INTO {DESK_COLUMNS} "
            "SELECT review_state, claim_states, verdict_bits, '', NULL, 0, SUM(d) "
            f"FROM ({changed}) AS ch GROUP BY 1, 2, 3 HAVING SUM(d) <> 0; "
            f"INSERT INTO {DESK_COLUMNS} "
            "SELECT ch.review_state, ch.claim_states, ch.verdict_bits, '', v.verdict_id, "
            "SUM(ch.d * v.claims), 0 "
            f'FROM ({changed}) AS ch JOIN "{VERDICT_TALLY}" AS v ON v.article_id = ch.article_id '
            "GROUP BY 1, 2, 3, 5 HAVING SUM(ch.d * v.claims) <> 0; "
            "END IF; END IF; END IF; "
        )
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}profiles() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {''.join(branches)}RETURN NULL; END $$"
    )


def _pg_verdict_profile_function() -> str:
    """A verdict tally's change, added to its article's profile as it is now: none when the
    article's tally went first (its delete took its verdicts' counts away)."""
    rows = {
        "INSERT": "SELECT article_id, verdict_id, claims AS d FROM new_verdicts",
        "DELETE": "SELECT article_id, verdict_id, -claims AS d FROM old_verdicts",
    }
    rows["UPDATE"] = f"{rows['INSERT']} UNION ALL {rows['DELETE']}"
    branches = [
        f"IF TG_OP = '{op}' THEN IF EXISTS (SELECT FROM "
        f"{'old_verdicts' if op == 'DELETE' else 'new_verdicts'}) THEN "
        f"INSERT INTO {DESK_COLUMNS} "
        f"SELECT t.review_state, {_claim_states('t.')}, t.verdict_bits, '', ch.verdict_id, "
        "SUM(ch.d), 0 "
        f'FROM ({changed}) AS ch JOIN "{TALLY}" AS t ON t.article_id = ch.article_id '
        "GROUP BY 1, 2, 3, 5 HAVING SUM(ch.d) <> 0; "
        "END IF; END IF; "
        for op, changed in rows.items()
    ]
    return (
        f"CREATE OR REPLACE FUNCTION {PREFIX}verdict_profiles() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {''.join(branches)}RETURN NULL; END $$"
    )


def _pg_triggers(sig: str) -> dict[str, str]:
    triggers = {}
    for op, refs in (
        ("INSERT", "NEW TABLE AS new_claims"),
        ("UPDATE", "OLD TABLE AS old_claims NEW TABLE AS new_claims"),
        ("DELETE", "OLD TABLE AS old_claims"),
    ):
        name = f"{PREFIX}claims_{op.lower()}_{sig}"
        triggers[name] = (
            f'CREATE TRIGGER "{name}" AFTER {op} ON "{CLAIMS}" REFERENCING {refs} '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}claims()"
        )
    for table, short, function in (
        (TALLY, "counts", "profiles"),
        (VERDICT_TALLY, "verdicts", "verdict_profiles"),
    ):
        for op, refs in (
            ("INSERT", f"NEW TABLE AS new_{short}"),
            ("UPDATE", f"OLD TABLE AS old_{short} NEW TABLE AS new_{short}"),
            ("DELETE", f"OLD TABLE AS old_{short}"),
        ):
            name = f"{PREFIX}{short}_{op.lower()}_{sig}"
            triggers[name] = (
                f'CREATE TRIGGER "{name}" AFTER {op} ON "{table}" REFERENCING {refs} '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}{function}()"
            )
    name = f"{PREFIX}articles_{sig}"
    triggers[name] = (
        f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE ON "{ARTICLES}" '
        f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}articles()"
    )
    name = f"{PREFIX}publishers_{sig}"
    triggers[name] = (
        f'CREATE TRIGGER "{name}" AFTER UPDATE OF name ON "{PUBLISHERS}" '
        f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}publishers()"
    )
    return triggers


#: The table each kind of trigger is on, by the start of its name.
TRIGGER_TABLES = {
    f"{PREFIX}claims": CLAIMS,
    f"{PREFIX}articles": ARTICLES,
    f"{PREFIX}publishers": PUBLISHERS,
    f"{PREFIX}counts": TALLY,
    f"{PREFIX}verdicts": VERDICT_TALLY,
}


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_change(row: str, sign: str) -> str:
    """Statements adding (``+``) or taking away (``-``) the claim ``row`` (new/old)."""
    sets = ", ".join(f'"{s}" = "{s}" {sign} {_counted(s, row + ".")}' for s in states())
    statements = f'UPDATE "{TALLY}" SET {sets} WHERE article_id = {row}.article_id; '
    if sign == "+":
        statements += (
            f'INSERT INTO "{VERDICT_TALLY}" (article_id, verdict_id, claims) '
            f"SELECT {row}.article_id, {row}.verdict_id, 1 WHERE {row}.verdict_id IS NOT NULL "
            "ON CONFLICT (article_id, verdict_id) DO UPDATE SET claims = claims + 1; "
        )
    else:
        statements += (
            f'UPDATE "{VERDICT_TALLY}" SET claims = claims - 1 '
            f"WHERE article_id = {row}.article_id AND verdict_id = {row}.verdict_id; "
        )
    return statements


def _sqlite_profile(row: str, sign: str, where: str = "1") -> str:
    """Statements adding (``+``) or taking away (``-``) the tally ``row`` (new/old), its
    verdicts' counts with it, to its profile's totals in the desk's, when ``where``."""
    profile = f"{row}.review_state, {_claim_states(row + '.')}, {row}.verdict_bits"
    by_state = " UNION ALL ".join(
        f"SELECT {profile}, '{s}', {NO_VERDICT}, {sign}{row}.\"{s}\", 0 "
        f'WHERE {where} AND {row}."{s}" <> 0'
        for s in states()
    )
    return (
        f"INSERT INTO {DESK_COLUMNS} {by_state}; "
        f"INSERT INTO {DESK_COLUMNS} SELECT {profile}, '', NULL, 0, {sign}1 WHERE {where}; "
        f"INSERT INTO {DESK_COLUMNS} SELECT {profile}, '', verdict_id, {sign}claims, 0 "
        f'FROM "{VERDICT_TALLY}" WHERE {where} AND article_id = {row}.article_id '
        "AND claims <> 0; "
    )


def _sqlite_triggers(sig: str) -> dict[str, str]:
    moved = " OR ".join(
        f"old.{column} IS NOT new.{column}" for column in ("article_id", "state", "verdict_id")
    )
    counted = " OR ".join(
        f'old."{s}" <> new."{s}"' for s in (*states(), "review_state", "verdict_bits")
    )
    same = (
        "old.review_state = new.review_state AND old.verdict_bits = new.verdict_bits AND "
        f"{_claim_states('old.')} = {_claim_states('new.')}"
    )
    # An article's tally changed within its profile: the change of each count; else the old
    # row taken away from its profile and the new one added to the other.
    by_state = " UNION ALL ".join(
        f"SELECT new.review_state, {_claim_states('new.')}, new.verdict_bits, '{s}', {NO_VERDICT}, "
        f'new."{s}" - old."{s}", 0 WHERE {same} AND new."{s}" <> old."{s}"'
        for s in states()
    )
    verdict_change = (
        f"INSERT INTO {DESK_COLUMNS} SELECT t.review_state, {_claim_states('t.')}, "
        "t.verdict_bits, '', {row}.verdict_id, {sign}{row}.claims, 0 "
        f'FROM "{TALLY}" AS t WHERE t.article_id = {{row}}.article_id AND {{row}}.claims <> 0; '
    )
    # Then (after the change is booked, the old row's and the new's) the article's
    # verdict_bits, where a verdict came or went: the tallies' trigger moves its counts,
    # verdicts as they are now, to its new profile.
    verdict_bits = _verdict_bits("{row}.article_id")
    new_bits = (
        f'UPDATE "{TALLY}" SET verdict_bits = {verdict_bits} '
        f"WHERE article_id = {{row}}.article_id AND verdict_bits <> {verdict_bits}; "
    )
    bodies = {
        "claims_insert": f'AFTER INSERT ON "{CLAIMS}" BEGIN {_sqlite_change("new", "+")}END',
        "claims_delete": f'AFTER DELETE ON "{CLAIMS}" BEGIN {_sqlite_change("old", "-")}END',
        "claims_update": (
            f'AFTER UPDATE ON "{CLAIMS}" WHEN {moved} BEGIN '
            f"{_sqlite_change('old', '-')}{_sqlite_change('new', '+')}END"
        ),
        "articles_insert": (
            f'AFTER INSERT ON "{ARTICLES}" BEGIN '
            f'INSERT INTO "{TALLY}" (article_id, title, publication, publisher_name, '
            f"{_columns()}) VALUES (new.id, new.title, new.publication, "
            f"{_publisher_name('new')}, {_zeros()}); END"
        ),
        "articles_update": (
            f'AFTER UPDATE OF title, publication, publisher_id ON "{ARTICLES}" BEGIN '
            f'UPDATE "{TALLY}" SET title = new.title, publication = new.publication, '
            f"publisher_name = {_publisher_name('new')} WHERE article_id = new.id; END"
        ),
        "publishers_update": (
            f'AFTER UPDATE OF name ON "{PUBLISHERS}" WHEN new.name IS NOT old.name BEGIN '
            f"{_publisher_renamed('new')}END"
        ),
        "counts_insert": f'AFTER INSERT ON "{TALLY}" BEGIN {_sqlite_profile("new", "+")}END',
        "counts_delete": f'AFTER DELETE ON "{TALLY}" BEGIN {_sqlite_profile("old", "-")}END',
        "counts_update": (
            f'AFTER UPDATE ON "{TALLY}" WHEN {counted} BEGIN '
            f"INSERT INTO {DESK_COLUMNS} {by_state}; "
            f"{_sqlite_profile('old', '-', f'NOT ({same})')}"
            f"{_sqlite_profile('new', '+', f'NOT ({same})')}END"
        ),
        "verdicts_insert": (
            f'AFTER INSERT ON "{VERDICT_TALLY}" BEGIN '
            f"{verdict_change.format(row='new', sign='')}{new_bits.format(row='new')}END"
        ),
        "verdicts_delete": (
            f'AFTER DELETE ON "{VERDICT_TALLY}" BEGIN '
            f"{verdict_change.format(row='old', sign='-')}{new_bits.format(row='old')}END"
        ),
        "verdicts_update": (
            f'AFTER UPDATE ON "{VERDICT_TALLY}" BEGIN '
            f"{verdict_change.format(row='old', sign='-')}"
            f"{verdict_change.format(row='new', sign='')}{new_bits.format(row='new')}END"
        ),
    }
    return {
        f"{PREFIX}{name}_{sig}": f'CREATE TRIGGER "{PREFIX}{name}_{sig}" {body}'
        for name, body in bodies.items()
    }


# --- Installation ----------------------------------------------------------------------------


def _pg_functions() -> list[str]:
    return [
        _pg_function(),
        _pg_article_function(),
        _pg_profile_function(),
        _pg_verdict_profile_function(),
        _pg_publisher_function(),
    ]


def signature() -> str:
    """Changes with the definition: the states counted and the triggers' SQL."""
    definition = "|".join([*states(), *_pg_functions()])
    definition += "|".join(_sqlite_triggers("")) + "|".join(_sqlite_triggers("").values())
    return hashlib.sha256(definition.encode()).hexdigest()[:10]


def wanted_triggers(connection) -> dict[str, str]:
    sig = signature()
    if connection.vendor == "postgresql":
        return _pg_triggers(sig)
    return _sqlite_triggers(sig)


#: The latest column of each table the triggers write: a migration calling ``ensure`` before
#: they are made (the desk's profile, 0032; the publisher's name, 0033; the verdicts in the
#: profile, 0036) leaves it to that one.
NEWEST_COLUMNS = {DESK: "folded", TALLY: "verdict_bits"}


def _tables_ready(connection) -> bool:
    """The tables the triggers read and write are there, as they write them."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if not {CLAIMS, ARTICLES, PUBLISHERS, TALLY, VERDICT_TALLY, DESK} <= tables:
            return False
        for table, column in NEWEST_COLUMNS.items():
            columns = connection.introspection.get_table_description(cursor, table)
            if column not in {c.name for c in columns}:
                return False
    return True


#: A row's key in the desk's totals: its profile, and what it counts.
DESK_KEY = "review_state, claim_states, verdict_bits, state, COALESCE(verdict_id, 0)"


def fold_desk(connection=None) -> None:
    """Replace the desk's rows of every key that has rows of changes (not folded) by one row
    per key (profile and state, verdict or articles): the same sums, fewer rows to add up.
    The keys with none keep their one folded row: a fold rewrites what changed, not the
    desk's thousands of keys. Safe beside writers: on PostgreSQL the rows summed are the
    rows deleted, in one statement (a row committed meanwhile is left for the next fold);
    SQLite has one writer at a time."""
    connection = connection or default_connection
    sums = (
        "SELECT review_state, claim_states, verdict_bits, state, verdict_id, SUM(claims), "
        "SUM(articles), TRUE FROM {rows} "
        "GROUP BY review_state, claim_states, verdict_bits, state, verdict_id "
        "HAVING SUM(claims) <> 0 OR SUM(articles) <> 0"
    )
    changed = f'SELECT {DESK_KEY} FROM "{DESK}" WHERE NOT folded'
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f'WITH gone AS (DELETE FROM "{DESK}" WHERE ({DESK_KEY}) IN ({changed}) '
                f"RETURNING *) INSERT INTO {FOLDED_COLUMNS} " + sums.format(rows="gone")
            )
        else:
            cursor.execute(f'SELECT MAX(id) FROM "{DESK}"')
            (last,) = cursor.fetchone()
            gone = f"id <= %s AND ({DESK_KEY}) IN ({changed} AND id <= %s)"
            rows = f'(SELECT * FROM "{DESK}" WHERE {gone})'
            cursor.execute(f"INSERT INTO {FOLDED_COLUMNS} " + sums.format(rows=rows), [last, last])
            cursor.execute(f'DELETE FROM "{DESK}" WHERE {gone}', [last, last])


def fold_desk_if_free(connection=None) -> None:
    """``fold_desk`` for a page that reads the totals: done only if the database lets it write
    at once. A page never waits behind a long write (an import holding SQLite's write lock)
    or fails for it: the rows are summed all the same, and the next read folds them."""
    connection = connection or default_connection
    sqlite = connection.vendor == "sqlite"
    waits_ms = int(connection.settings_dict["OPTIONS"].get("timeout", 5) * 1000)
    try:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 0")
        fold_desk(connection)
    except OperationalError:
        pass
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {waits_ms}")


def recount(connection) -> None:
    """Count every article's claims again (the triggers keep them from then on)."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No claim may change between the count and the triggers taking over.
            cursor.execute(f'LOCK TABLE "{CLAIMS}", "{ARTICLES}" IN SHARE MODE')
        for statement in recount_sql():
            cursor.execute(statement)


TRIGGERS = TriggerSet(
    prefix=PREFIX,
    tables=TRIGGER_TABLES,
    functions=("claims", "articles", "profiles", "verdict_profiles", "publishers"),
    function_sql=_pg_functions,
    wanted=wanted_triggers,
    tables_ready=_tables_ready,
    recount=recount,
)
existing_triggers = TRIGGERS.existing
drop_triggers = TRIGGERS.drop
#: Make the triggers match the definition; when they did not, count every article again.
ensure = TRIGGERS.ensure
remove = TRIGGERS.remove
#: Before ``migrate`` on SQLite (see the module's docstring).
drop_before_migrate = TRIGGERS.drop_before_migrate


def clear_if_no_articles(connection) -> None:
    """With no article left (``flush``: on SQLite it deletes table by table, and the claims'
    and articles' triggers may add rows of changes to the desk's totals after they were
    emptied), nothing is counted."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{ARTICLES}" LIMIT 1')
        if cursor.fetchone() is None:
            for table in (VERDICT_TALLY, TALLY, DESK):
                cursor.execute(f'DELETE FROM "{table}"')


def repair_after_migrate(sender, using="default", **kwargs) -> None:
    """After ``migrate`` (and ``flush``, which sends the same signal): the triggers back (and
    every article counted again) where they are missing or out of date, once the tally's
    migration has run; an empty desk counts nothing."""
    from django.db import connections

    connection = connections[using]
    if not ensure(connection) and _tables_ready(connection):
        clear_if_no_articles(connection)
