"""``seedfeed state init|migrate``: create or upgrade the state, and move an SQLite state into PostgreSQL."""

from __future__ import annotations

import argparse
import logging

from ..config import is_database_url, load_config
from ..errors import EXIT_OK, ConfigError
from ..state.backends import database_errors

log = logging.getLogger("seedfeed")


def run_state(args: argparse.Namespace) -> int:
    if args.action == "init":
        from ..state.backends import init_store

        config = load_config(args)
        with database_errors(config.state_url):
            before, after = init_store(config)
        where = config.state_url and _redact(config.state_url) or str(config.state)
        log.info("%s: schema %d%s", where, after, f" (upgraded from {before})" if before != after else " (current)")
        return EXIT_OK
    if not args.source or not args.target:
        raise ConfigError("seedfeed state migrate needs --from and --to",
                          "seedfeed state migrate --from .seedfeed/state.sqlite --to postgresql://host/seedfeed")
    if not is_database_url(args.target):
        raise ConfigError(f"--to {args.target}: not a PostgreSQL URL", "give --to postgresql://user@host/database")
    from pathlib import Path

    from ..state.transfer import copy_sqlite_to_postgres

    with database_errors(args.target):
        copied = copy_sqlite_to_postgres(Path(args.source), args.target)
    log.info("%s -> %s: copied %s", args.source, _redact(args.target),
             ", ".join(f"{n} {table}" for table, n in copied.items()))
    return EXIT_OK


def _redact(url: str) -> str:
    from ..state.postgres import redact

    return redact(url)
