"""``seedfeed serve``: serve the output folder, with caching tuned to how often each feed can change."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime

from ..errors import ConfigError

log = logging.getLogger("seedfeed.serve")


def run_serve(args: argparse.Namespace) -> int:
    from .. import schedules
    from ..config import load_config
    from ..serve import FeedServer, default_max_age, parse_listen

    config = load_config(args)
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        raise ConfigError(f"--listen {args.listen!r}: {exc}", "use HOST:PORT, e.g. 127.0.0.1:8000") from None
    periods = {f.name: schedules.shortest_period(list(f.web_sources), config, datetime.now(UTC))
               for f in config.feeds}

    def max_age(rel_path: str) -> int:
        first = rel_path.lstrip("/").split("/", 1)[0]
        period = periods.get(first) if first in periods else periods.get("")
        if period and rel_path.endswith((".xml", ".json")):
            return min(period, 3600)
        return default_max_age(rel_path)

    if not config.output.is_dir():
        raise ConfigError(f"{config.output}: no such folder", "run seedfeed build first, or give --output")
    server = FeedServer(config.output, host, port, max_age=max_age)
    log.info("serving %s at http://%s:%d/ (Ctrl-C stops)", config.output, host, port)
    server.serve_forever()
    return 0
