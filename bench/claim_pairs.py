"""Precision and recall of the proposals of the same claim in other articles, on the labelled
pairs of tests/fixtures/claim_pairs.json (invented claims on neutral topics).

Every claim of every pair is put in its own article of one database, the way reviewers would
have claimed them (figures read, claims filed in the index), and a pair counts as proposed
when either claim's proposals list the other: the real retrieval and scoring, at the
threshold the app uses (``annotations.families.THRESHOLD``), with every other claim present.

``python -m bench.claim_pairs`` runs it on a throwaway SQLite database and prints the result;
tests/test_claim_pairs.py holds a floor.
"""

import json
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "claim_pairs.json"


def load(path: Path = FIXTURE) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["pairs"]


def build(pairs: list[dict], user) -> list[tuple]:
    """(claim a, claim b, same) for each pair, each claim alone in a new article."""
    from annotations.models import Article, Claim

    built = []
    for number, pair in enumerate(pairs):
        claims = []
        for side in ("a", "b"):
            text = pair[side]
            article = Article.objects.create(
                title=f"Pair {number} ({side})",
                body=text["quote"],
                raw_text=f"pair {number} {side}\n\n{text['quote']}",
            )
            claim = Claim.objects.create_from_selection(
                article, 0, len(text["quote"]), text["quote"], by=user, statement=text["statement"]
            )
            if text["claimant"]:
                claim.claimant = text["claimant"]
                claim.save()
            claims.append(claim)
        built.append((*claims, pair["same"]))
    return built


def evaluate(pairs: list[dict] | None = None, *, user=None) -> dict:
    """Counts, precision and recall, and the pairs decided wrongly."""
    built = build(load() if pairs is None else pairs, user)
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    wrong = []
    proposed_by = {}
    for a, b, same in built:
        for claim in (a, b):
            if claim.pk not in proposed_by:
                proposed_by[claim.pk] = {p.claim.pk for p in claim.proposals(limit=None)}
        proposed = b.pk in proposed_by[a.pk] or a.pk in proposed_by[b.pk]
        key = ("t" if proposed == same else "f") + ("p" if proposed else "n")
        counts[key] += 1
        if proposed != same:
            wrong.append((a, b, same))
    precision = counts["tp"] / ((counts["tp"] + counts["fp"]) or 1)
    recall = counts["tp"] / ((counts["tp"] + counts["fn"]) or 1)
    return {**counts, "pairs": len(built), "precision": precision, "recall": recall, "wrong": wrong}


def report(result: dict) -> str:
    from annotations.families import THRESHOLD

    lines = [
        f"{result['pairs']} labelled pairs ({result['tp'] + result['fn']} the same claim), "
        f"threshold {THRESHOLD}:",
        f"  precision {result['precision']:.2f} ({result['tp']} of {result['tp'] + result['fp']} "
        "proposed pairs are the same claim)",
        f"  recall    {result['recall']:.2f} ({result['tp']} of {result['tp'] + result['fn']} "
        "same-claim pairs are proposed)",
    ]
    for a, b, same in result["wrong"]:
        what = "missed" if same else "proposed wrongly"
        lines.append(f"  {what}: “{a.quote}” / “{b.quote}”")
    return "\n".join(lines)


def main() -> int:
    import shutil
    import tempfile

    from bench.run import configure_environment

    tmp = Path(tempfile.mkdtemp(prefix="factcheck-pairs-"))
    try:
        configure_environment(tmp)
        import django

        django.setup()
        from django.core.management import call_command

        from annotations.models import User

        call_command("migrate", verbosity=0, interactive=False)
        user = User.objects.create_user("pairs")
        print(report(evaluate(user=user)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
