"""The ``seedfeed`` command. Heavy modules are imported inside the commands, so ``--help`` stays fast.

Exit status: 0 feeds published (documents that could not be read are skipped and reported, and still exit 0);
1 configuration or input error (for ``check`` and ``status``: also a problem found); 2 command-line usage
error; 3 output or state could not be written; 4 another run holds the lock.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import EXIT_CONFIG, EXIT_LOCKED, EXIT_OUTPUT, EXIT_USAGE
from .help import EPILOG, EXAMPLES

if TYPE_CHECKING:
    from ..unchanged import Verdict


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, told the terminal's width: asked for none, argparse imports shutil for it (with
    bz2, lzma and zlib: about 2 ms of every build that has something to do)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width if width is not None else columns() - 2)


def columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it: $COLUMNS, else standard output's terminal,
    else 80."""
    try:
        found = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        found = 0
    if found <= 0:
        try:
            found = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            found = 0
    return found or 80


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="seedfeed.toml to use (default: ./seedfeed.toml if present)")
    p.add_argument("--seeds", metavar="DIR", action="append", help="seed folder (repeatable; default ./seeds)")
    p.add_argument("--output", metavar="DIR", help="output folder (default ./output), or s3://bucket/prefix")
    p.add_argument("--state", metavar="PATH|URL",
                   help="state file or folder (default .seedfeed/ beside the seeds), or a postgresql:// URL")
    p.add_argument("--base-url", metavar="URL", help="address output/ is served at (default http://localhost:8000/)")
    p.add_argument("--title", metavar="TEXT", help="feed title")
    p.add_argument("--max-items", metavar="N", type=int, help="items per feed (default 50)")
    p.add_argument("--url", metavar="URL", action="append", default=[], help="a web page to publish (repeatable)")
    p.add_argument("--listing", metavar="URL", action="append", default=[],
                   help="a page that links to articles; each new article is published (repeatable)")
    p.add_argument("--feed", metavar="URL", action="append", default=[],
                   help="an RSS/Atom/JSON feed; each entry is published with its full article text (repeatable)")
    p.add_argument("--allow-private", action="store_true", default=None,
                   help="allow URLs on loopback/private networks (intranet pages)")
    p.add_argument("--refresh", action="store_true",
                   help="fetch every URL source now, even if its schedule says it is not due yet")
    p.add_argument("--wait", metavar="SECONDS", type=float, default=10.0,
                   help="how long to wait for another run's lock (default 10)")
    p.add_argument("--fetch-budget", metavar="SECONDS", type=float,
                   help="stop fetching URLs after this; the rest is deferred to the next run (default 90)")
    _verbosity(p)


def _hosted(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="seedfeed.toml to use (default: ./seedfeed.toml if present)")
    p.add_argument("--seeds", metavar="DIR", action="append", help="seed folder (repeatable; default ./seeds)")
    p.add_argument("--output", metavar="DIR", help="output folder (default ./output)")
    p.add_argument("--state", metavar="URL", help="the postgresql:// database holding the state and the queue")
    p.add_argument("--base-url", metavar="URL", help="address output/ is served at (default http://localhost:8000/)")
    _verbosity(p)


def _verbosity(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument("-v", "--verbose", action="count", default=0, help="print more (ignored files, details)")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; ``command="build"`` stops after the build command's parser, all a cron run needs (the
    other commands' parsers cost a few milliseconds, a noticeable part of a build that finds nothing to do)."""
    parser = argparse.ArgumentParser(
        prog="seedfeed", description="Publish documents from folders and web pages as RSS 2.0, Atom 1.0 and JSON Feed.",
        epilog=EXAMPLES["seedfeed"] + "\n" + EPILOG, formatter_class=_Formatter)
    parser.add_argument("--version", action="version", version=f"seedfeed {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = sub.add_parser("build", help="regenerate every feed once and exit (safe from cron)",
                           epilog=EXAMPLES["build"] + "\n" + EPILOG,
                           description="Regenerate every feed once and exit. Quiet unless something changed or "
                                       "went wrong; a run with nothing to do only looks at file sizes and times.",
                           formatter_class=_Formatter)
    _common(build)
    build.add_argument("--dry-run", action="store_true",
                       help="print what would change in each feed (new, updated, removed items); write nothing")
    build.set_defaults(func=cmd_build)
    if command == "build":
        return parser

    extract = sub.add_parser("extract", help="print, as JSON, what seedfeed extracts from one page",
                             description="Print everything extracted from one web page (a URL or a saved HTML file).",
                             epilog=EXAMPLES["extract"], formatter_class=_Formatter)
    extract.add_argument("source", metavar="SOURCE", help="a URL, or a saved HTML file")
    extract.add_argument("--url", metavar="URL", help="the address a saved file came from (for absolute links)")
    extract.add_argument("--allow-private", action="store_true", help="allow a URL on a loopback/private network")
    extract.add_argument("--timezone", default="UTC", help="time zone for dates the page gives without one")
    _verbosity(extract)
    extract.set_defaults(func=cmd_extract)

    serve = sub.add_parser("serve", help="serve output/ over HTTP with caching (ETag, Last-Modified, gzip)",
                           epilog=EXAMPLES["serve"], formatter_class=_Formatter)
    serve.add_argument("--config", metavar="FILE", help="seedfeed.toml to use")
    serve.add_argument("--output", metavar="DIR", help="folder to serve (default ./output)")
    serve.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8000", help="default 127.0.0.1:8000")
    _verbosity(serve)
    serve.set_defaults(func=cmd_serve)

    daemon = sub.add_parser("daemon", help="keep feeds current: watch seed folders, poll URLs on schedules",
                            epilog=EXAMPLES["daemon"] + "\n" + EPILOG,
                            formatter_class=_Formatter)
    _common(daemon)
    daemon.add_argument("--serve", metavar="HOST:PORT", help="also serve output/ (e.g. 127.0.0.1:8000)")
    daemon.add_argument("--log-format", choices=("text", "json"), default="text", help="log line format")
    daemon.add_argument("--poll", action="store_true",
                        help="poll seed folders instead of using file events (network filesystems)")
    daemon.set_defaults(func=cmd_daemon)

    status = sub.add_parser("status", help="show each feed and source: last success, last error, next run",
                            epilog=EXAMPLES["status"], formatter_class=_Formatter)
    status.add_argument("--config", metavar="FILE", help="seedfeed.toml to use")
    status.add_argument("--seeds", metavar="DIR", action="append", help="seed folder (to find the default state)")
    status.add_argument("--state", metavar="PATH|URL", help="state file or folder, or a postgresql:// URL")
    status.add_argument("--max-periods", metavar="N", type=int, default=3,
                        help="exit 1 when a source has failed for longer than N of its periods (default 3)")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _verbosity(status)
    status.set_defaults(func=cmd_status)

    check = sub.add_parser(
        "check", help="lint the published feeds and compare them with the previous build (gates a deploy)",
        description="Lint every feed's rss.xml, atom.xml and feed.json (well-formed, required elements, unique ids, "
                    "dates with a time zone, absolute URLs, legal characters, self links), and compare each with "
                    "the version the last build replaced: new, updated and removed ids, and a loud error when "
                    "ids were re-minted for the same items (a mass re-broadcast).",
        epilog=EXAMPLES["check"], formatter_class=_Formatter)
    check.add_argument("--config", metavar="FILE", help="seedfeed.toml to use (without one: every feed in --output)")
    check.add_argument("--output", metavar="DIR", help="output folder to check (default ./output)")
    check.add_argument("--state", metavar="PATH", help="state file or folder (its previous/ holds the last versions)")
    check.add_argument("--base-url", metavar="URL", help="address output/ is served at, for the self links")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    _verbosity(check)
    check.set_defaults(func=cmd_check)

    init = sub.add_parser("init", help="write a commented seedfeed.toml (every option at its default) and seeds/",
                          description="Write a commented seedfeed.toml with one feed and every option at its "
                                      "default, and a seeds/ folder beside it if there is none. Never overwrites.",
                          epilog=EXAMPLES["init"], formatter_class=_Formatter)
    init.add_argument("--config", metavar="FILE", help="where to write it (default ./seedfeed.toml)")
    _verbosity(init)
    init.set_defaults(func=cmd_init)

    state = sub.add_parser("state", help="create or upgrade the state (file or PostgreSQL); copy a file into PostgreSQL",
                           description="init: create the state, or upgrade its schema (safe to run from many "
                                       "machines at once). migrate: copy an SQLite state into an empty PostgreSQL "
                                       "database, keeping every id, date, hash, ETag and source health.",
                           epilog=EXAMPLES["state"], formatter_class=_Formatter)
    state.add_argument("action", choices=["init", "migrate"], help="init | migrate")
    state.add_argument("--config", metavar="FILE", help="seedfeed.toml to use (for init)")
    state.add_argument("--seeds", metavar="DIR", action="append", help="seed folder (to find the default state)")
    state.add_argument("--state", metavar="PATH|URL", help="state file, folder or postgresql:// URL (for init)")
    state.add_argument("--from", dest="source", metavar="PATH", help="migrate: the SQLite state file to copy")
    state.add_argument("--to", dest="target", metavar="URL", help="migrate: the postgresql:// database to copy into")
    _verbosity(state)
    state.set_defaults(func=cmd_state)

    worker = sub.add_parser("worker", help="hosted mode: run fetch and render jobs from the PostgreSQL queue",
                            description="Run hosted-mode jobs (procrastinate, on the --state PostgreSQL database) "
                                        "until stopped: fetch a shard of one host's due sources; merge and render "
                                        "a feed from what was fetched. Start "
                                        "as many as you like, on as many machines (docs/scaling.md).",
                            epilog=EXAMPLES["worker"], formatter_class=_Formatter)
    _hosted(worker)
    worker.add_argument("--concurrency", metavar="N", type=int, default=4, help="jobs run at once (default 4)")
    worker.add_argument("--dispatch-every", metavar="INTERVAL",
                        help="also queue due sources this often, e.g. 30s (default: only `seedfeed dispatch` does)")
    worker.add_argument("--stalled-after", metavar="SECONDS", type=float, default=30.0,
                        help="requeue the jobs of a worker silent this long (killed); default 30")
    worker.add_argument("--host-concurrency", metavar="N", type=int, default=2,
                        help="requests in flight to one host, across every worker (default 2)")
    worker.add_argument("--host-delay", metavar="SECONDS", type=float, default=1.0,
                        help="seconds between request starts to one host, across every worker (default 1)")
    worker.add_argument("--once", action="store_true", help="stop when the queue is empty (for cron and tests)")
    worker.set_defaults(func=cmd_worker)

    dispatch = sub.add_parser("dispatch", help="hosted mode: queue fetch jobs for every host with due sources",
                              description="Queue fetch jobs (a shard of up to 100 sources each) for every host "
                                          "with due sources nobody holds, and a render for every feed with fetched "
                                          "results not yet applied; a shard or render already waiting is not "
                                          "queued again (they coalesce).",
                              epilog=EXAMPLES["dispatch"], formatter_class=_Formatter)
    _hosted(dispatch)
    dispatch.set_defaults(func=cmd_dispatch)
    return parser


def setup_logging(args: argparse.Namespace, json_lines: bool = False) -> None:
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose > 1 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        from ..scheduler.logs import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)




def cmd_build(args: argparse.Namespace) -> int:
    from .build import run_build

    return run_build(args)


def cmd_extract(args: argparse.Namespace) -> int:
    from .extract import run_extract

    return run_extract(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import run_serve

    return run_serve(args)


def cmd_daemon(args: argparse.Namespace) -> int:
    from ..scheduler.daemon import run_daemon

    return run_daemon(args)


def cmd_status(args: argparse.Namespace) -> int:
    from ..scheduler.status import run_status

    return run_status(args)


def cmd_check(args: argparse.Namespace) -> int:
    from ..check.command import run_check

    return run_check(args)


def cmd_init(args: argparse.Namespace) -> int:
    from .init import run_init

    return run_init(args)


def cmd_state(args: argparse.Namespace) -> int:
    from .state import run_state

    return run_state(args)


def cmd_worker(args: argparse.Namespace) -> int:
    from .hosted import run_worker

    return run_worker(args)


def cmd_dispatch(args: argparse.Namespace) -> int:
    from .hosted import run_dispatch

    return run_dispatch(args)


def main(argv: Sequence[str] | None = None, verdict: Verdict | None = None) -> int:
    """Run one command. ``verdict``: what :func:`seedfeed.unchanged.check` found out before (``build`` only)."""
    given = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser("build" if given[:1] == ["build"] else None)
    args = parser.parse_args(given)
    args.verdict = verdict
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    setup_logging(args, json_lines=getattr(args, "log_format", "text") == "json")
    from ..errors import ConfigError, DocumentError, FetchError, LockedError, SeedfeedError

    try:
        return int(args.func(args))
    except SeedfeedError as exc:
        if args.debug:
            raise
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        if isinstance(exc, ConfigError | DocumentError | FetchError):
            return EXIT_CONFIG
        return EXIT_LOCKED if isinstance(exc, LockedError) else EXIT_OUTPUT
    except KeyboardInterrupt:
        return 130
