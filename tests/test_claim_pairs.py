"""Precision and recall of the proposals on the labelled pairs (tests/fixtures/claim_pairs.json,
invented claims): a floor under the figures bench/claim_pairs.py prints."""

import pytest

from bench.claim_pairs import evaluate, load

# Measured 0.73 and 0.67 at the threshold in use (annotations.families.THRESHOLD); the floor
# leaves room for the figure reader to change without hiding a real fall.
PRECISION_FLOOR = 0.65
RECALL_FLOOR = 0.6


def test_the_labelled_set_is_large_and_balanced():
    pairs = load()
    assert len(pairs) >= 60
    same = sum(pair["same"] for pair in pairs)
    assert 0.35 <= same / len(pairs) <= 0.65


@pytest.mark.django_db
def test_proposals_find_the_same_claim_with_a_floor_on_precision_and_recall(reviewer):
    result = evaluate(user=reviewer)
    assert result["pairs"] >= 60
    assert result["precision"] >= PRECISION_FLOOR, result
    assert result["recall"] >= RECALL_FLOOR, result
