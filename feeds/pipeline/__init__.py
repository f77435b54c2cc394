"""The pipeline: ``run_once(config, now) -> Report``, the only code that knows the order of the stages
(:mod:`.run`), and the writing of one feed's files in crash-safe order (:mod:`.write`)."""

from .run import RENDER_VERSION, FeedReport, Report, clock, feed_folder, make_fetcher, run_once

__all__ = ["RENDER_VERSION", "FeedReport", "Report", "clock", "feed_folder", "make_fetcher", "run_once"]
