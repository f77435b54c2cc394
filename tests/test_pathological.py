"""Pathological files, each built by the real CLI in its own process under a memory cap (RLIMIT_AS) and a
generous timeout: empty files, NUL bytes, broken and foreign encodings, a 50 MB file, 200,000 lines, a
100,000-character title, XML-illegal characters and lone surrogates, symlink loops, and odd file names.

Each document must be published (in all three feeds) or reported by name on stderr; outputs must stay valid.
Wall time and peak memory of each run are recorded for docs/reliability.md (never asserted: CI machines vary).
"""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest

from tests.conftest import ROOT
from tests.hostile import executable_in_output, feed_entries, invalid_outputs
from tests.reliability import record

MEMORY_CAP = 3 * 1024**3      # bytes of address space for one build
BIG_MEMORY_CAP = 6 * 1024**3  # ... of a 50 MB document (max_bytes raised): about 60x its size at the peak
TIMEOUT = 900                 # seconds; only a runaway case gets near it (50 MB of HTML takes minutes)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_bounded(args: list[str], cwd: Path, cap: int = MEMORY_CAP) -> Run:
    """``python -m seedfeed ARGS`` in ``cwd`` with RLIMIT_AS and a timeout; its own wall time and peak RSS."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    out, err, peak = cwd / ".stdout", cwd / ".stderr", cwd / ".peak-rss"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Through tests/peak_rss.py: the build's own peak memory, not pytest's (see that file).
    argv = [sys.executable, str(Path(__file__).with_name("peak_rss.py")), str(peak), sys.executable, "-m", "seedfeed", *args]
    start = time.monotonic()
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=o, stderr=e, env=env, preexec_fn=limit, start_new_session=True)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - start
    peak_mb = int(peak.read_text()) / 1024 if peak.is_file() else 0.0
    return Run(proc.returncode, out.read_text(errors="replace"), err.read_text(errors="replace"), seconds, peak_mb)


# ------------------------------------------------------------------------------------------------ cases

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]


def prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def big_text(path: Path, size: int) -> None:
    rng = random.Random(1)
    paragraph = "\n".join(prose(rng, 12) for _ in range(6)) + ".\n\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write("A fifty megabyte document\n\n")
        while f.tell() < size:
            f.write(paragraph)


def big_markdown(path: Path, size: int) -> None:
    rng = random.Random(2)
    block = "".join(f"## Part {i}\n\nSome *markdown* with a [link](/a/{i}) and `code`.\n\n- {prose(rng, 8)}\n"
                    f"- {prose(rng, 8)}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n" for i in range(50))
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\ntitle: Big markdown\n---\n\n")
        while f.tell() < size:
            f.write(block)


def big_html(path: Path, size: int) -> None:
    rng = random.Random(3)
    block = "".join(f"<p>{prose(rng, 40)} <a href='/x/{i}'>link</a>.</p>\n" for i in range(100))
    with open(path, "w", encoding="utf-8") as f:
        f.write("<!doctype html><html><head><title>Big page</title></head><body><article><h1>Big page</h1>\n")
        while f.tell() < size:
            f.write(block)
        f.write("</article></body></html>\n")


def lines(n: int, ext: str) -> Callable[[Path], None]:
    def make(seeds: Path) -> None:
        rng = random.Random(4)
        body = "\n".join(f"line {i} {prose(rng, 4)}" for i in range(n))
        if ext == ".html":
            body = "<html><head><title>Many lines</title></head><body>\n" + body.replace("\n", "<br>\n") + "</body></html>"
        elif ext == ".md":
            body = "# Many lines\n\n" + body
        else:
            body = "Many lines\n\n" + body
        (seeds / f"lines{ext}").write_text(body, encoding="utf-8")
    return make


LONG = "title " * 16_667   # 100,002 characters


def long_titles(seeds: Path) -> None:
    (seeds / "long.txt").write_text(LONG + "\n\nBody.\n", encoding="utf-8")
    (seeds / "long-fm.md").write_text(f"---\ntitle: {LONG}\nauthor: {LONG}\ntags: [{LONG}]\n---\n\nBody.\n",
                                      encoding="utf-8")
    (seeds / "long-h.md").write_text(f"# {LONG}\n\nBody.\n", encoding="utf-8")
    (seeds / "long-spaces.md").write_text("# a" + " " * 100_000 + "b\n\nBody.\n", encoding="utf-8")
    (seeds / "long.html").write_text(f"<html><head><title>{LONG}</title></head><body><p>Body text.</p></body></html>",
                                     encoding="utf-8")
    (seeds / "long-word.txt").write_text("x" * 100_000 + "\n\nBody.\n", encoding="utf-8")


def encodings(seeds: Path) -> None:
    text = "Café crème\n\nÜber naïve façades — «quoted» text, enough of it to read.\n"
    (seeds / "utf16-bom.txt").write_bytes(text.encode("utf-16"))
    (seeds / "utf16-be-bom.md").write_bytes(b"\xfe\xff" + ("# " + text).encode("utf-16-be"))
    (seeds / "utf32-bom.txt").write_bytes(text.encode("utf-32"))
    (seeds / "latin1.txt").write_bytes(text.encode("latin-1", "replace"))
    (seeds / "cp1252.md").write_bytes(("# " + text + "“smart” quotes…\n").encode("cp1252"))
    (seeds / "invalid-utf8.txt").write_bytes(b"Broken \xff\xfe\xc3 bytes\n\nMore \x80\x81 here and \xed\xa0\x80 there.\n")
    (seeds / "utf8-bom.html").write_bytes(b"\xef\xbb\xbf<html><head><title>BOM page</title></head><body><p>"
                                          + "Naïve body text.".encode() + b"</p></body></html>")
    (seeds / "lying-meta.html").write_bytes(b'<html><head><meta charset="utf-16"><title>Liar</title></head>'
                                            b"<body><p>Caf\xe9 text</p></body></html>")


def illegal_characters(seeds: Path) -> None:
    controls = "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13))
    (seeds / "controls.txt").write_text(f"Title{controls}end\n\nBody{controls}\x7f\x85\u2028\ufffe\uffff end.\n",
                                        encoding="utf-8")
    (seeds / "controls.md").write_text(f"---\ntitle: \"t\\x01\\x1b\\uFFFE\"\nsummary: \"s\\x0b\"\n---\n\nBody{controls}\n",
                                       encoding="utf-8")
    (seeds / "entities.html").write_text("<html><head><title>a&#xD800;b&#1;c&#xFFFE;</title></head><body><p>"
                                         "x&#0;y&#xDFFF;z&#x1F;&#65535;</p><p>more text here</p></body></html>",
                                         encoding="utf-8")
    (seeds / "entities.md").write_text("# E&#xD800;ntity &#0; title\n\nBody &#xDFFF; &#1; &#x10FFFF;.\n",
                                       encoding="utf-8")
    (seeds / "surrogate-yaml.md").write_text('---\ntitle: "\\uD800 lone"\n---\n\nBody.\n', encoding="utf-8")
    (seeds / "surrogate-bytes.txt").write_bytes(b"Title\n\nA lone surrogate: " + b"\xed\xa0\x80\xed\xbf\xbf.\n")


def empty_and_binary(seeds: Path) -> None:
    for name in ("empty.txt", "empty.md", "empty.html"):
        (seeds / name).write_bytes(b"")
    (seeds / "blank.md").write_text(" \n\t\n\n", encoding="utf-8")
    (seeds / "only-front-matter.md").write_text("---\ntitle: \n---\n", encoding="utf-8")
    (seeds / "nul.txt").write_bytes(b"Title\n\n\x00\x00\x00 body\n")
    (seeds / "nuls.md").write_bytes(b"\x00" * 4096)
    (seeds / "random.html").write_bytes(random.Random(7).randbytes(20_000))
    (seeds / "utf16-no-bom.txt").write_bytes("Title\n\nBody text.\n".encode("utf-16-le"))


def symlinks(seeds: Path) -> None:
    (seeds / "real.md").write_text("# Real\n\nBody.\n", encoding="utf-8")
    (seeds / "sub").mkdir()
    (seeds / "sub" / "inner.txt").write_text("Inner\n\nBody.\n", encoding="utf-8")
    os.symlink("..", seeds / "sub" / "up")                 # a loop through the parent
    os.symlink("sub", seeds / "again")                     # the same folder twice
    os.symlink("self.md", seeds / "self.md")               # a file link to itself
    os.symlink("a.md", seeds / "b.md")
    os.symlink("b.md", seeds / "a.md")                     # two links pointing at each other
    os.symlink("missing.md", seeds / "broken.md")
    os.symlink("real.md", seeds / "alias.md")              # a good link: published (its own key)


def odd_names(seeds: Path) -> None:
    names = ["with space.md", "new\nline.md", "tab\there.txt", "ünïcödé ✓.md", "名前.txt", "emoji 🎉.html",
             "quote'\"<&>.md", "-dash-first.txt", " leading.md", "trailing .txt", "a" * 240 + ".md",
             "back\\slash.md", "semi;colon%20.md", "CAPS.MD", "dots...txt"]
    for name in names:
        body = f"<html><head><title>{name}</title></head><body><p>Body.</p></body></html>" if name.endswith(".html") \
            else f"Title {name!r}\n\nBody.\n"
        (seeds / name).write_text(body, encoding="utf-8")
    (seeds / os.fsdecode(b"latin1-\xe9.txt")).write_text("Bytes in a name\n\nBody.\n", encoding="utf-8")
    (seeds / os.fsdecode(b"bad-\xff\xfe.md")).write_text("# Not UTF-8 name\n\nBody.\n", encoding="utf-8")


def big(kind: str) -> Callable[[Path], None]:
    def make(seeds: Path) -> None:
        {"txt": big_text, "md": big_markdown, "html": big_html}[kind](seeds / f"big.{kind}", 50 * 1024 * 1024)
    return make


def too_big(seeds: Path) -> None:
    big_text(seeds / "too-big.txt", 50 * 1024 * 1024)
    (seeds / "small.txt").write_text("Small\n\nBody.\n", encoding="utf-8")


RAISE_CAP = 'max_bytes = 67108864\nmax_items = 1000\nbase_url = "https://example.org/"\n'
DEFAULT_CAP = 'max_items = 1000\nbase_url = "https://example.org/"\n'

CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty, blank and binary files": (empty_and_binary, DEFAULT_CAP),
    "UTF-16/32 with BOM, latin-1, cp1252, invalid UTF-8": (encodings, DEFAULT_CAP),
    "XML-illegal control characters and lone surrogates": (illegal_characters, DEFAULT_CAP),
    "100,000-character titles": (long_titles, DEFAULT_CAP),
    "200,000 lines (.txt)": (lines(200_000, ".txt"), DEFAULT_CAP),
    "200,000 lines (.md)": (lines(200_000, ".md"), DEFAULT_CAP),
    "200,000 lines (.html)": (lines(200_000, ".html"), DEFAULT_CAP),
    "50 MB file over the default 10 MB cap": (too_big, DEFAULT_CAP),
    "50 MB .txt (cap raised)": (big("txt"), RAISE_CAP),
    "50 MB .md (cap raised)": (big("md"), RAISE_CAP),
    "50 MB .html (cap raised)": (big("html"), RAISE_CAP),
    "symlink loops, broken and self links": (symlinks, DEFAULT_CAP),
    "file names with spaces, newlines, non-ASCII and non-UTF-8 bytes": (odd_names, DEFAULT_CAP),
}


def documents(seeds: Path) -> list[Path]:
    """Every entry that looks like a document by its name (links included, broken or not)."""
    return sorted(p for p in seeds.rglob("*") if p.suffix.lower() in (".txt", ".md", ".html")
                  and "up" not in p.relative_to(seeds).parts and "again" not in p.relative_to(seeds).parts)


# Minutes each on 2 cores (trafilatura on 50 MB of HTML is the worst): run by bench/reliability.py, which sets
# SEEDFEED_HEAVY=1, and not in the regular suite, to keep it inside its time budget.
HEAVY = {"50 MB .md (cap raised)", "50 MB .html (cap raised)", "200,000 lines (.html)"}


@pytest.mark.parametrize("case", list(CASES))
def test_pathological_files(case: str, tmp_path: Path):
    if case in HEAVY and not os.environ.get("SEEDFEED_HEAVY"):
        pytest.skip("heavy case: run with SEEDFEED_HEAVY=1 (bench/reliability.py does)")
    make, config = CASES[case]
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (tmp_path / "seedfeed.toml").write_text(config, encoding="utf-8")
    make(seeds)
    docs = documents(seeds)
    run = run_bounded(["build"], tmp_path, BIG_MEMORY_CAP if config == RAISE_CAP else MEMORY_CAP)
    crashed = int(run.returncode != 0 or "Traceback" in run.stderr or "seedfeed bug" in run.stderr)
    output = tmp_path / "output"
    invalid, executable, published = ["no output"], [], 0
    if (output / "atom.xml").exists():
        rss, atom, js = feed_entries(output)
        published = len(rss & atom & js)
        invalid = invalid_outputs(output) + ([] if rss == atom == js else ["feeds disagree"])
        executable = executable_in_output(output)
    def shown(path: Path) -> str:   # as stderr shows it (a name that is not UTF-8 comes out backslash-escaped)
        return str(path).encode("utf-8", "backslashreplace").decode()

    reported = [d for d in docs if f"skipped {shown(d)}: " in run.stderr or f"skipped {shown(d.parent)}: " in run.stderr]
    lost = len(docs) - len(reported) - published
    record("pathological files", case, crashed=crashed, items_lost=max(lost, 0), invalid_outputs=len(invalid),
           executable_survived=len(executable), seconds=round(run.seconds, 2), peak_rss_mb=round(run.peak_mb, 1),
           note=f"{published} published, {len(reported)} reported"
           + (f"; killed at the {TIMEOUT} s timeout" if run.seconds >= TIMEOUT else "")
           + ("; heavy case" if case in HEAVY else ""))
    assert not crashed, run.stderr[-3000:]
    assert lost == 0, (published, [d.name for d in reported], run.stderr[-3000:])
    assert not invalid, invalid
    assert not executable, executable
    if case.startswith(("200,000", "100,000", "50 MB .")):    # these must be published, not merely reported
        assert not reported, run.stderr[-2000:]
    if case == "100,000-character titles":
        for entry in feedparser.parse((output / "atom.xml").read_bytes()).entries:
            assert len(entry.title) <= 300
