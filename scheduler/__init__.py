"""Decides *when* the pipeline runs: the daemon, its APScheduler triggers, seed-folder watching, status, logs.

Takes a :class:`~seedfeed.config.Config`; calls :func:`seedfeed.pipeline.run_once` on file events and schedules,
and serves ``output/`` through :mod:`seedfeed.serve` when asked. Nothing below this layer imports it.
"""
