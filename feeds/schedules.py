"""When each URL source is due: ``every = "30m"`` or ``cron = "*/10 7-22 * * *"``, else the configured default.

Schedule arithmetic only (periods, next run, due or not): the pipeline needs it for ``ttl`` and ``build`` for
due sources; the daemon's APScheduler triggers are built from it in :mod:`seedfeed.scheduler.triggers`. Time is a
parameter everywhere here, so schedules are tested with plain calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .config import Config, WebSource, parse_interval

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

def interval_seconds(source: WebSource, config: Config) -> int | None:
    """The fixed period of a source, or ``None`` for a cron schedule."""
    if source.cron:
        return None
    return parse_interval(source.every or config.default_every, f"schedule of {source.url}")


@functools.lru_cache(maxsize=256)
def cron_trigger(expr: str, tz: str) -> BaseTrigger:
    """A cached CronTrigger: parsing a crontab line is the costly part."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(expr, timezone=tz)


def next_run(source: WebSource, config: Config, last_run: datetime | None, now: datetime) -> datetime:
    """When the source should next run, given when it last ran. Never-run sources are due now."""
    if last_run is None:
        return now
    if source.cron:
        nxt = cron_trigger(source.cron, source.timezone).get_next_fire_time(None, last_run + timedelta(seconds=1))
        return nxt if nxt is not None else now + timedelta(days=365)
    return last_run + timedelta(seconds=interval_seconds(source, config) or 0)


def is_due(source: WebSource, config: Config, last_run: datetime | None, now: datetime) -> bool:
    return next_run(source, config, last_run, now) <= now


DueCheck = Callable[[WebSource, datetime | None, datetime], bool]


def due_check(config: Config) -> DueCheck:
    """The pipeline's ``due`` callback for a one-shot run: each source runs when its schedule says."""
    return lambda source, last_run, now: is_due(source, config, last_run, now)


def shortest_period(sources: list[WebSource], config: Config, now: datetime) -> int | None:
    """Seconds between the most frequent source's runs (cron: the gap between its next two fire times)."""
    periods = []
    for source in sources:
        seconds = interval_seconds(source, config)
        if seconds is None:
            t = cron_trigger(source.cron or "", source.timezone)
            first = t.get_next_fire_time(None, now)
            second = t.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
            seconds = int((second - first).total_seconds()) if first and second else 86400
        periods.append(seconds)
    return min(periods) if periods else None
