"""The material beside the checkout in ``../shared`` (the seed corpus, the W3C test suite).

Tests that need it skip with a message where it is missing locally; in CI (``CI`` set, as
``.ci/run`` is run) it must be there, so a missing folder fails the test instead of hiding it.
"""

import os
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS_DIR = SHARED_DIR / "seeds"
W3C_DIR = SHARED_DIR / "w3c-annotation-tests"


def require(path: Path, what: str) -> Path:
    """``path`` when it exists; otherwise skip (locally) or fail (in CI) saying what is missing."""
    if path.exists():
        return path
    message = f"{what} is not beside the checkout ({path})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI runs with ../shared in place", pytrace=False)
    pytest.skip(message)
