"""The process entry (``seedfeed`` and ``python -m seedfeed``): ``seedfeed build`` first asks
:mod:`seedfeed.unchanged` whether there is anything to do, before the parser and the pipeline are imported --
under cron, nothing changed is the common case."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    verdict = None
    if given[:1] == ["build"] and not os.environ.get("SEEDFEED_NO_SHORTCUT"):
        from ..unchanged import check

        verdict = check(given, os.getcwd(), os.environ)
        if verdict.done:
            return 0
    from .main import main as run

    return run(given, verdict)
