"""The process entry (``seedfeed`` and ``python -m seedfeed``): ``seedfeed build`` first asks
:mod:`seedfeed.unchanged` whether there is anything to do, before the parser and the pipeline are imported --
under cron, nothing changed is the common case."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    build = given[:1] == ["build"]
    # A build pauses the cyclic collector from the start, not only for the run (seedfeed.pipeline.bulk says
    # why): the check's walk keeps a row per file and the imports make thousands of objects, and the passes
    # that triggers find nothing.
    was_enabled = gc.isenabled()
    if build:
        gc.disable()
    try:
        verdict = None
        if build and not os.environ.get("SEEDFEED_NO_SHORTCUT"):
            from ..unchanged import check

            verdict = check(given, os.getcwd(), os.environ)
            if verdict.done:
                return 0
        from .main import main as run

        return run(given, verdict)
    finally:
        if was_enabled:
            gc.enable()
