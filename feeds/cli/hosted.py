"""``seedfeed worker`` and ``seedfeed dispatch``: hosted mode's commands (the logic is in :mod:`seedfeed.hosted`)."""

from __future__ import annotations

import argparse
import logging

from ..config import load_config, parse_interval
from ..errors import EXIT_OK, ConfigError
from ..state.backends import database_errors

log = logging.getLogger("seedfeed")


def _hosted_config(args: argparse.Namespace):  # noqa: ANN202 - Config
    config = load_config(args)
    if not config.state_url:
        raise ConfigError(f"seedfeed {args.command} needs the state in PostgreSQL",
                          "give --state postgresql://user@host/db, or state = \"postgresql://...\" in the config")
    return config


def run_worker(args: argparse.Namespace) -> int:
    from ..hosted.jobs import Politeness
    from ..hosted.jobs import run_worker as work

    config = _hosted_config(args)
    every = parse_interval(args.dispatch_every, "--dispatch-every") if args.dispatch_every else None
    with database_errors(config.state_url):
        work(config, args.concurrency, dispatch_every=every, stalled_after=args.stalled_after, once=args.once,
             polite=Politeness(args.host_concurrency, args.host_delay))
    return EXIT_OK


def run_dispatch(args: argparse.Namespace) -> int:
    from ..hosted.jobs import dispatch, ensure_schema, make_app

    config = _hosted_config(args)
    with database_errors(config.state_url):
        ensure_schema(config.state_url)
        app = make_app(config.state_url, config)
        with app.open():
            queued = dispatch(app, config)
    log.info("seedfeed: %d jobs queued (fetch shards and renders)", queued)
    return EXIT_OK
