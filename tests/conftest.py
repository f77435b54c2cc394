"""Shared helpers: real folders, the real CLI in a subprocess, and real feed parsers."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXED_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run_cli(*args: str, cwd: Path, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m seedfeed ARGS`` as a user would, in ``cwd``."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "seedfeed", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env, check=False)


def write(path: Path, text: str | bytes, mtime: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A working directory with an empty ./seeds."""
    (tmp_path / "seeds").mkdir()
    return tmp_path


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and mtime."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if anything tries to connect anywhere but loopback (tests must never reach the network).

    The attempt is refused (ConnectionRefusedError, as a closed port would be) and recorded; the test fails in
    teardown if anything was recorded, whatever the code under test did with the exception (the fetcher turns
    any error into an ordinary fetch error, so an exception alone could pass unnoticed)."""
    real = socket.socket
    attempts: list[str] = []

    class Recording(real):  # type: ignore[misc, valid-type]
        def connect(self, address):  # type: ignore[no-untyped-def]
            return super().connect(self._checked(address))

        def connect_ex(self, address):  # type: ignore[no-untyped-def]
            return super().connect_ex(self._checked(address))

        @staticmethod
        def _checked(address):  # type: ignore[no-untyped-def]
            if not is_loopback_address(address):
                attempts.append(f"connect to {address}")
                raise ConnectionRefusedError(f"only_loopback: connect to {address} refused")
            return address

    monkeypatch.setattr(socket, "socket", Recording)
    yield attempts
    if attempts:
        pytest.fail(f"connections outside loopback were attempted: {attempts}", pytrace=False)


def is_loopback_address(address: object) -> bool:
    """A socket address on this machine: a loopback IP (or ``localhost``), or an AF_UNIX path."""
    if not isinstance(address, tuple):
        return True   # AF_UNIX path
    host = str(address[0]).split("%")[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


# Skips that CI cannot lift by design: the heavy pathological cases run by hand (bench/reliability.py).
CI_ALLOWED_SKIPS = ("heavy case:",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """With ``CI`` set, a skipped test fails: .ci/run installs and enables what the tests need (a browser, mount
    rights for the full-disk tests, ``::1``), so a skip there means a test silently stopped running."""
    outcome = yield
    report = outcome.get_result()
    if not (os.environ.get("CI") and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if any(allowed in reason for allowed in CI_ALLOWED_SKIPS):
        return
    report.outcome = "failed"
    report.longrepr = (f"{item.nodeid} was skipped under CI ({reason}); .ci/run must make it runnable "
                       "(see tests/conftest.py, CI_ALLOWED_SKIPS, for the skips CI accepts)")
