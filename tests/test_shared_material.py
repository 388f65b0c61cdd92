"""Tests that need ../shared skip locally without it and fail in CI, where it must be."""

import pytest

from tests.shared_material import require


def test_missing_shared_material_skips_locally(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="the seed corpus is not beside"):
        require(tmp_path / "seeds", "the seed corpus")


def test_missing_shared_material_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI runs with ../shared in place"):
        require(tmp_path / "w3c-annotation-tests", "the W3C test material")


def test_present_material_is_returned(tmp_path):
    assert require(tmp_path, "anything") == tmp_path
