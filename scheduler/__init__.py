"""Decides *when* the pipeline in :mod:`feeds` runs: the daemon, schedules, file watching, serving."""
