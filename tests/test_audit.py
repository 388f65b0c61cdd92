"""The dependency audit (bin/audit-deps, `make audit`): fails on a known vulnerability, passes a
clean report, and only warns when the vulnerability service cannot be reached. pip-audit is
replaced by a stub that plays each answer."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CLEAN = '{"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}], "fixes": []}'
VULNERABLE = (
    '{"dependencies": [{"name": "weasyprint", "version": "69.0", "vulns": [{"id": '
    '"GHSA-jf6q-chmf-3h3v", "aliases": ["CVE-2026-55073"], "fix_versions": ["70.0"]}]}]}'
)
UNANSWERED = (
    '{"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI and '
    'could not be audited: django (5.2.19)"}], "fixes": []}'
)


def run_audit(tmp_path, report: str | None, stderr: str = "", code: int = 0):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    stub = bin_dir / "pip-audit"
    write = (
        f"out = sys.argv[sys.argv.index('--output') + 1]\nopen(out, 'w').write({report!r})\n"
        if report
        else ""
    )
    stub.write_text(
        f"#!{sys.executable}\nimport sys\n{write}sys.stderr.write({stderr!r})\nsys.exit({code})\n"
    )
    stub.chmod(0o755)
    return subprocess.run(
        [sys.executable, str(ROOT / "bin" / "audit-deps"), "--python", str(bin_dir / "python")],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
    )


def test_a_known_vulnerability_fails_the_audit_with_its_fix(tmp_path):
    result = run_audit(tmp_path, VULNERABLE, code=1)
    assert result.returncode == 1
    assert "weasyprint 69.0: GHSA-jf6q-chmf-3h3v (CVE-2026-55073); fixed in 70.0" in result.stdout


def test_a_clean_report_passes(tmp_path):
    result = run_audit(tmp_path, CLEAN)
    assert result.returncode == 0
    assert "no known vulnerabilities in 1 audited packages" in result.stdout


@pytest.mark.parametrize(
    ("report", "stderr"),
    [
        (None, "requests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/"),
        (UNANSWERED, ""),
    ],
    ids=["unreachable", "mirror-without-json-api"],
)
def test_an_unreachable_service_only_warns(tmp_path, report, stderr):
    result = run_audit(tmp_path, report, stderr=stderr, code=1 if report is None else 0)
    assert result.returncode == 0
    assert "WARNING" in result.stdout and "NOT audited" in result.stdout


def test_a_crash_that_is_not_a_network_error_fails(tmp_path):
    result = run_audit(tmp_path, None, stderr="ValueError: bad requirement", code=1)
    assert result.returncode == 1
