"""The human-facing pages in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

A two-feed site is built with the real CLI and served by a real ``seedfeed serve`` subprocess on a free port.
Every page kind is loaded at a desktop and a phone viewport; the tests check the rendered text, that the
console stays clean and no request fails, that nothing scrolls sideways on a phone, and save a screenshot of
each page (paths printed; see them with ``pytest -s``). One page is also browsed over ``file://``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli, write

CHROMIUM = Path(os.environ.get("SEEDFEED_CHROMIUM", "/usr/bin/chromium"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LONG_WORD = "Donaudampfschifffahrtsgesellschaft" * 9  # ~300 characters, no break opportunity

NEWS = "Harbour Town News"
NOTES = "Field Notes « עברית » 🌱"
SEEDS = {
    "news/council.md": "---\ntitle: Council approves the new harbour bridge\ndate: 2026-02-20\n---\n\n"
                       "The council voted 7 to 2 for the bridge. Work starts in spring.\n",
    "news/market.md": "---\ntitle: Saturday market moves to the pier\ndate: 2026-02-25\n---\n\n"
                      "From March the market is held on the pier, 8:00 to 13:00.\n",
    "news/long.md": f"---\ntitle: A title with {LONG_WORD}\ndate: 2026-02-10\n---\n\nSummary with {LONG_WORD} in it.\n",
    "notes/birds.md": "---\ntitle: First swallows of the year\ndate: 2026-02-28\n---\n\n"
                      "Three swallows over the reed beds this morning, two weeks early.\n",
    "notes/rtl.md": "---\ntitle: שלום עולם — <b>not bold</b> & \"quoted\"\ndate: 2026-02-27\n---\n\n"
                    "טקסט מימין לשמאל with some English 🌍.\n",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); CI fails instead of skipping")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is missing; pip install -e '.[test]'")
        pytest.skip("playwright is missing (pip install -e '.[test]')")
    return CHROMIUM


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A built two-feed site served by ``seedfeed serve``: (base URL, output folder)."""
    root = tmp_path_factory.mktemp("browser-site")
    for name, text in SEEDS.items():
        write(root / name, text)
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    write(root / "seedfeed.toml", f'base_url = "{base}"\n'
          f'[[feeds]]\nname = "news"\ntitle = "{NEWS}"\n'
          'description = "What the council decided, and what is on around the harbour."\nseeds = ["news"]\n'
          f'[[feeds]]\nname = "notes"\ntitle = "{NOTES}"\nseeds = ["notes"]\n')
    built = run_cli("build", cwd=root)
    assert built.returncode == 0, built.stderr
    server = subprocess.Popen([sys.executable, "-m", "seedfeed", "serve", "--listen", f"127.0.0.1:{port}", "-q"],
                              cwd=root, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else "serve exited"
                assert time.monotonic() < deadline, "seedfeed serve did not start listening"
                time.sleep(0.1)
        yield base, root / "output"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Playwright gives each launch a fresh temporary profile (the --user-data-dir the flags list asks for).
        instance = pw.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def _item_page(output: Path, feed: str) -> str:
    return f"{feed}/items/" + sorted(p.name for p in (output / feed / "items").glob("*.html"))[0]


def _visit(browser: object, url: str, viewport: dict[str, int], shot: Path) -> tuple[str, int, list[str]]:
    """Load ``url``; return its visible text, its scroll width and every console error or failed request."""
    context = browser.new_context(viewport=viewport)  # type: ignore[attr-defined]
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    text = page.inner_text("body")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    context.close()
    return text, width, problems


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_pages_render_cleanly_in_chromium(browser, site, shots, viewport):
    base, output = site
    pages = {
        "overview": ("index.html", [NEWS, NOTES, "Council approves the new harbour bridge", "Subscribe to all"]),
        "news": ("news/index.html", [NEWS, "Saturday market moves to the pier", "Subscribe", "feed reader",
                                     f"{base}news/atom.xml"]),
        # Titles keep the text of markup, never the tags (tests/test_harden_titles.py)
        "notes": ("notes/index.html", [NOTES, "First swallows of the year", 'שלום עולם — not bold & "quoted"']),
        "item": (_item_page(output, "news"), [NEWS, "Council approves the new harbour bridge", "voted 7 to 2"]),
    }
    size = VIEWPORTS[viewport]
    for kind, (path, expected) in pages.items():
        text, width, problems = _visit(browser, base + path, size, shots / f"{kind}-{viewport}.png")
        for needle in expected:
            assert needle in text, f"{path}: {needle!r} not shown"
        assert problems == [], f"{path}: {problems}"
        assert width <= size["width"], f"{path} scrolls sideways at {viewport} ({width}px > {size['width']}px)"


def test_relative_links_work_from_file_urls(browser, site):
    _, output = site
    context = browser.new_context()
    page = context.new_page()
    page.goto((output / "index.html").as_uri())
    page.click(f"h2 a:has-text('{NEWS}')")
    assert page.url == (output / "news" / "index.html").as_uri()
    page.click("text=Council approves the new harbour bridge")
    assert page.url.startswith((output / "news" / "items").as_uri())
    assert "voted 7 to 2" in page.inner_text("body")
    page.click(f"nav a:has-text('{NEWS}')")
    assert page.url == (output / "news" / "index.html").as_uri()
    page.click("text=All feeds")
    assert page.url == (output / "index.html").as_uri()
    context.close()


def test_chromium_missing_fails_under_ci(tmp_path):
    """The CI rule itself: with CI set and no browser, the module's fixture fails rather than skips."""
    code = ("import os, sys; os.environ['CI'] = '1'; os.environ['SEEDFEED_CHROMIUM'] = '/nonexistent/chromium';"
            "import pytest; sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', "
            f"'{Path(__file__)}::test_pages_render_cleanly_in_chromium']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 1 and "chromium is missing" in done.stdout.lower() + done.stderr.lower(), done.stdout
