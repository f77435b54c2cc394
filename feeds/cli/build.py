"""``seedfeed build``: regenerate every feed once, report what changed or went wrong, ping WebSub hubs."""

from __future__ import annotations

import argparse
import logging

from ..config import load_config
from ..errors import EXIT_OK


def report_problems(report, args: argparse.Namespace) -> None:  # noqa: ANN001 - Report, imported lazily
    log = logging.getLogger("seedfeed")
    for line in report.problems():
        log.warning("%s", line)
    if args.verbose:
        for skip in report.ignored:
            log.info("ignored %s: %s", skip.origin, skip.reason)


def run_build(args: argparse.Namespace) -> int:
    from ..pipeline import clock, run_once
    from ..progress import factory
    from ..schedules import due_check
    from ..state.backends import database_errors

    config = load_config(args)
    with database_errors(config.state_url):
        verdict = getattr(args, "verdict", None)
        report = run_once(config, clock(), lock_wait=args.wait, due=None if args.refresh else due_check(config),
                          dry_run=args.dry_run, progress=factory(args.quiet),
                          changed=verdict.changed if verdict else None, stamping=verdict.stamping if verdict else None)
        report_problems(report, args)
        if args.dry_run:
            print_dry_run(report)
            return EXIT_OK
        if config.output_url:
            from ..targets.s3 import publish

            publish(config)
    for feed in config.feeds:
        written = any(r.name == (feed.name or "(default)") and r.files_written for r in report.feeds)
        if feed.hub and written:
            from ..websub import ping, topics

            ping(feed.hub, topics(config, feed), config.user_agent, tries=2, backoff=1.0)  # a one-shot run stays short
    log = logging.getLogger("seedfeed")
    if report.changed or report.skipped or report.source_errors or args.verbose:
        (log.warning if (report.skipped or report.source_errors) and args.quiet else log.info)(report.summary())
    return EXIT_OK


def print_dry_run(report) -> None:  # noqa: ANN001 - Report, imported lazily
    """Per feed, the items a real build would add, change and remove (by title), on stdout."""
    for feed in report.feeds:
        changes = feed.changes
        print(f"{feed.name}: {feed.new} new, {feed.updated} updated, {feed.removed} removed"
              + (f", {feed.moved} moved" if feed.moved else "")
              + ("" if feed.rendered else " (feed files unchanged)"))
        if changes is not None:
            for label, titles in (("new", [i.doc.title or i.doc.key for i in changes.new]),
                                  ("updated", [i.doc.title or i.doc.key for i in changes.updated]),
                                  ("removed", feed.removed_titles), ("moved", [i.doc.title for i in changes.moved])):
                for title in titles:
                    print(f"  {label + ':':9}{title or '(untitled)'}")
        for title, rule in feed.filtered:
            print(f"  filtered: {title or '(untitled)'} ({rule})")
    print("dry run: nothing was written")
