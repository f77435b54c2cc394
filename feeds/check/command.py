"""``seedfeed check``: lint what is published, and compare it with what was published before the last build.

Made to gate a deploy: one line per problem (file, item id, what is wrong), a summary, and a non-zero exit
when something is wrong. The comparison catches what no linter can: a feed whose ids changed wholesale (a lost
state file, a changed id scheme) makes every reader show every item again as new -- the classic mass
re-broadcast. ``check`` reports it as an error when many ids vanished while items with the same links or
titles appeared under new ids.

The previous version of each file is the one the last build that changed it replaced; builds keep it beside
the state (:func:`seedfeed.publish.kept_folder`), never in output/.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..config import Config
from ..publish import kept_folder
from ..records import field, record
from ..render.base import ATOM_FILE, JSON_FILE, RSS_FILE
from ..state.backends import peek_store
from .archives import check_chain
from .lint import Linted, Seen, lint
from .rules import Problem

FILES = ((RSS_FILE, "rss"), (ATOM_FILE, "atom"), (JSON_FILE, "json"))
REBROADCAST_MIN = 5          # this many ids replaced by look-alikes is a re-broadcast, whatever the feed's size
REBROADCAST_SHARE = 0.2      # ... and so is this share of the previous feed's ids


@record
class Target:
    """One feed to check: its output folder, the URL that folder is served at, and where its previous files are."""

    name: str          # feed name ("" for the feed published straight into output/)
    folder: Path
    base_url: str      # ends in "/"
    kept: Path


@record(frozen=False)
class Diff:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    lookalikes: list[tuple[str, str]] = field(default_factory=list)  # (vanished id, new id) with same link or title


def targets(config: Config) -> list[Target]:
    """The feeds to check: those in the config; without a config file, every feed folder found in output/.

    Each is checked against the address it is served at: ``--base-url`` or the config's ``base_url`` when given,
    else the one the last build published for (the state keeps it), so ``build --base-url URL && check`` agree.
    """
    built = _built_base_urls(config) if config.base_url_default else {}

    def base(name: str) -> str:
        return built.get(name) or config.base_url + (f"{name}/" if name else "")

    if config.source_file is None:
        found = discover(config.output)
        if found:
            return [Target(name, config.output / name if name else config.output, base(name),
                           kept_folder(config.state, name)) for name in found]
    return [Target(feed.name, config.output / feed.name if feed.name else config.output,
                   base(feed.name), kept_folder(config.state, feed.name)) for feed in config.feeds]


def _built_base_urls(config: Config) -> dict[str, str]:
    store = peek_store(config)   # a PostgreSQL state that cannot be reached is a state error (exit 3)
    if store is None:
        return {}
    try:
        return store.base_urls()
    except sqlite3.Error:
        return {}
    finally:
        store.close()


def discover(output: Path) -> list[str]:
    """Feed names (folder paths relative to ``output``) of every folder holding a feed file."""
    names = set()
    for file_name, _ in FILES:
        for path in output.rglob(file_name) if output.is_dir() else ():
            rel = path.parent.relative_to(output)
            names.add("" if rel == Path(".") else rel.as_posix())
    return sorted(names)


def compare(previous: list[Seen], current: list[Seen]) -> Diff:
    """New, updated and removed ids, and the new items that look like a vanished one (same link or title)."""
    before = {s.id: s for s in previous}
    now = {s.id: s for s in current}
    diff = Diff(new=[i for i in now if i not in before], removed=[i for i in before if i not in now],
                updated=[i for i in now if i in before and now[i].version != before[i].version])
    by_link = {before[i].link: i for i in diff.removed if before[i].link}
    by_title = {before[i].title: i for i in diff.removed if before[i].title}
    for new_id in diff.new:
        item = now[new_id]
        old = by_link.get(item.link) if item.link else None
        old = old or (by_title.get(item.title) if item.title else None)
        if old is not None:
            diff.lookalikes.append((old, new_id))
    return diff


def is_rebroadcast(diff: Diff, previous_count: int) -> bool:
    n = len(diff.lookalikes)
    return n >= REBROADCAST_MIN or (previous_count > 0 and n >= REBROADCAST_SHARE * previous_count)


def check_target(target: Target, show: Path) -> tuple[list[Problem], list[str]]:
    """Problems and the comparison lines (for people) of one feed's three files."""
    problems: list[Problem] = []
    notes: list[str] = []
    for file_name, kind in FILES:
        path = target.folder / file_name
        shown = _shown(path, show)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            problems.append(Problem("error", shown, "is missing; run seedfeed build"))
            continue
        except OSError as exc:
            problems.append(Problem("error", shown, f"cannot be read ({exc.strerror})"))
            continue
        linted = lint(kind, data, shown, target.base_url + file_name)
        problems += linted.problems
        problems += broken_links(linted, target, shown)
        if linted.items is not None and not linted.items:
            problems.append(Problem("warning", shown, "has no items"))
        found = _compare_previous(target.kept / file_name, linted, shown)
        problems += found[0]
        notes += found[1]
        problems += check_chain(target.folder, target.base_url, file_name, kind, shown,
                                {s.id for s in linted.items or []})
    return problems, notes


def broken_links(linted: Linted, target: Target, shown: str) -> list[Problem]:
    """Links in content that point into the output (under the site's base URL) at a file that is not there: a
    local file a seed links to that is missing or could not be published, a link to a removed document."""
    root_url = target.base_url.removesuffix(f"{target.name}/") if target.name else target.base_url
    root = target.folder.parents[len(Path(target.name).parts) - 1] if target.name else target.folder
    problems, seen = [], set()
    for item, where, url in linted.links:
        if not url.startswith(root_url) or (item, url) in seen:
            continue
        seen.add((item, url))
        rel = unquote(urlsplit(url).path[len(urlsplit(root_url).path):])
        path = root / rel
        if rel.endswith("/") or not rel:
            path = path / "index.html"
        if ".." in Path(rel).parts or not path.is_file():
            problems.append(Problem("error", shown, f"{where} links to {url}, which is not in {_shown(root, Path.cwd())}/; "
                                    "the seed links to a file that is missing or was not published (see the build's "
                                    "warnings)", item))
    return problems


def _compare_previous(kept: Path, current: Linted, shown: str) -> tuple[list[Problem], list[str]]:
    if current.items is None:
        return [], []
    try:
        data = kept.read_bytes()
    except OSError:
        return [], [f"{shown}: no previous version to compare with (kept after a build replaces the file)"]
    kind = {RSS_FILE: "rss", ATOM_FILE: "atom", JSON_FILE: "json"}[kept.name]
    previous = lint(kind, data, shown, "").items
    if previous is None:
        return [], [f"{shown}: the previous version ({kept}) cannot be read; not compared"]
    diff = compare(previous, current.items)
    note = (f"{shown}: since the previous version: {len(diff.new)} new, {len(diff.updated)} updated, "
            f"{len(diff.removed)} removed")
    if not is_rebroadcast(diff, len(previous)):
        return [], [note]
    sample = ", ".join(f"{old} -> {new}" for old, new in diff.lookalikes[:3])
    message = (f"MASS RE-BROADCAST: {len(diff.removed)} of {len(previous)} ids vanished and {len(diff.lookalikes)} "
               f"items came back under new ids with the same link or title (e.g. {sample}); every reader will show "
               "them again as new. Was the state file lost or replaced? Restore it (and rebuild) before deploying")
    return [Problem("error", shown, message)], [note]


def _shown(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def run_check(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..errors import EXIT_CONFIG, EXIT_OK
    from ..state.backends import database_errors

    config = load_config(args)
    with database_errors(config.state_url):
        found = targets(config)
    cwd = Path.cwd()
    problems: list[Problem] = []
    for target in found:
        if not target.folder.is_dir():
            problems.append(Problem("error", _shown(target.folder, cwd), "no such folder; run seedfeed build first"))
            continue
        more, notes = check_target(target, cwd)
        problems += more
        for note in notes if not args.quiet else ():
            print(note)
    for problem in problems:
        print(problem.line())
    errors = sum(1 for p in problems if p.level == "error")
    warnings = len(problems) - errors
    failed = errors > 0 or (args.strict and warnings > 0)
    summary = (f"seedfeed check: {len(found)} feed{'s' if len(found) != 1 else ''}, {errors} "
               f"error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
    if failed or not args.quiet:
        print(summary + (" -- FAILED" if failed else ""))
    return EXIT_CONFIG if failed else EXIT_OK
