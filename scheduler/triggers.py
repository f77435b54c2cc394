"""The daemon's APScheduler triggers for URL sources, with a small stable jitter so that sources sharing a
schedule don't fire together. The arithmetic (periods, due or not) lives in :mod:`seedfeed.schedules`."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from ..config import Config, WebSource
from ..schedules import cron_trigger, interval_seconds

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

JITTER_FRACTION = 0.05      # of the interval, at most MAX_JITTER: sources sharing a schedule don't fire together
MAX_JITTER = 60.0



def jitter_seconds(source: WebSource, config: Config) -> float:
    """A small, stable offset per source (the same on every restart)."""
    period = interval_seconds(source, config) or 600
    spread = min(MAX_JITTER, period * JITTER_FRACTION)
    return (zlib.crc32(source.url.encode()) % 1000) / 1000 * spread


def trigger(source: WebSource, config: Config) -> BaseTrigger:
    """The APScheduler trigger for a source (without jitter; the daemon adds it)."""
    if source.cron:
        return cron_trigger(source.cron, source.timezone)
    from apscheduler.triggers.interval import IntervalTrigger

    return IntervalTrigger(seconds=interval_seconds(source, config), timezone="UTC")
