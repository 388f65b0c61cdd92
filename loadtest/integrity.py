"""After the load: is every write that got a success response in the database, intact, and was
any edit silently overwritten?"""

from collections import defaultdict

from annotations.models import Citation, Claim
from loadtest.driver import Write


def check(writes: list[Write]) -> dict:
    """Returns counts and a list of problems (each a one-line description)."""
    problems: list[str] = []
    successes = [w for w in writes if w.outcome == "success"]
    history = Claim.history.model

    # Created claims: the creation record carries exactly the posted span and statement.
    for write in (w for w in successes if w.kind == "create"):
        values = write.values
        record = history.objects.filter(history_type="+", statement=write.token).first()
        if record is None:
            problems.append(f"create {write.token}: no claim with this statement was created")
            continue
        if (record.start, record.end, record.quote, record.article_id) != (
            values["start"],
            values["end"],
            values["quote"],
            write.article,
        ):
            # The server trims white space from a selection; the spans we post are trimmed.
            problems.append(f"create {write.token}: stored span differs from the posted one")
        if not Claim.objects.filter(pk=record.id).exists():
            problems.append(f"create {write.token}: claim #{record.id} is gone")

    # Edits: a history row with the written statement at version_sent + 1, and no two
    # successful writes based on the same version of one claim (that would be a lost update).
    based_on: dict[tuple[int, int], list[Write]] = defaultdict(list)
    for write in (w for w in successes if w.kind in {"edit", "cite"}):
        based_on[(write.claim, write.version_sent)].append(write)
        if write.kind == "edit":
            found = history.objects.filter(
                id=write.claim, statement=write.token, version=write.version_sent + 1
            ).exists()
            if not found:
                problems.append(
                    f"edit {write.token} of claim #{write.claim}: no version "
                    f"{write.version_sent + 1} with the written statement"
                )
        else:
            citation = Citation.objects.filter(claim_id=write.claim, quote=write.token).first()
            if citation is None or citation.source_id != write.values["source"]:
                problems.append(f"citation {write.token} on claim #{write.claim}: missing")
            if not history.objects.filter(id=write.claim, version=write.version_sent + 1).exists():
                problems.append(f"citation {write.token}: claim #{write.claim} version not raised")
    for (claim, version), group in based_on.items():
        if len(group) > 1:
            tokens = ", ".join(w.token for w in group)
            problems.append(
                f"claim #{claim}: {len(group)} writes based on version {version} all "
                f"answered success ({tokens}) — all but one were overwritten"
            )

    # The final statement of every edited claim is the last successful edit's.
    last_edit: dict[int, Write] = {}
    for write in (w for w in successes if w.kind == "edit"):
        current = last_edit.get(write.claim)
        if current is None or write.version_sent > current.version_sent:
            last_edit[write.claim] = write
    finals = dict(Claim.objects.filter(pk__in=list(last_edit)).values_list("pk", "statement"))
    for claim, write in last_edit.items():
        if finals.get(claim) != write.token:
            problems.append(
                f"claim #{claim}: final statement {finals.get(claim)!r} is not the last "
                f"successful edit {write.token!r}"
            )

    # Refusals must have changed nothing.
    for write in writes:
        if write.outcome not in {"conflict", "refused"}:
            continue
        if write.kind == "edit" and history.objects.filter(statement=write.token).exists():
            problems.append(f"edit {write.token} was refused but saved anyway")
        if write.kind == "cite" and Citation.objects.filter(quote=write.token).exists():
            problems.append(f"citation {write.token} was refused but saved anyway")

    lost = sum(1 for p in problems if "refused but saved" not in p)
    return {
        "successful_writes": len(successes),
        "by_outcome": _count(writes),
        "lost_writes": lost,
        "problems": problems,
    }


def _count(writes: list[Write]) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for write in writes:
        counts[f"{write.kind} {write.outcome}"] += 1
    return dict(sorted(counts.items()))
