"""The rule that keeps CI honest: with ``CI`` set, a skipped test fails (tests/conftest.py), except the skips
listed in ``CI_ALLOWED_SKIPS`` (the heavy cases run by hand). Checked on an inner pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

INNER = '''
import pytest

def test_needs_mount_rights():
    pytest.skip("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN)")

@pytest.mark.skipif(True, reason="no IPv6")
def test_needs_ipv6():
    pass

def test_heavy():
    pytest.skip("heavy case: run with SEEDFEED_HEAVY=1")

def test_runs():
    pass
'''


def _inner(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(ROOT)}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--rootdir",
                           str(tmp_path), "-c", os.devnull, "test_inner.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_skip_fails_under_ci_unless_it_is_an_allowed_one(tmp_path):
    result = _inner(tmp_path, "true")
    out = result.stdout
    assert result.returncode == 1, out
    assert "FAILED test_inner.py::test_needs_mount_rights" in out and "was skipped under CI" in out, out
    assert "test_inner.py::test_needs_ipv6 was skipped under CI (Skipped: no IPv6)" in out, out
    assert "SKIPPED [1] test_inner.py:12: heavy case" in out and "PASSED test_inner.py::test_runs" in out, out


def test_without_ci_a_skip_is_a_skip(tmp_path):
    result = _inner(tmp_path, None)
    assert result.returncode == 0 and "1 passed, 3 skipped" in result.stdout, result.stdout
