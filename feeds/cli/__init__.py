"""The ``seedfeed`` command line: the parser (:mod:`.main`) and one module per command it runs itself.

Takes argv. Gives out an exit status (see :mod:`seedfeed.errors`). The only part of ``feeds/`` that may import
:mod:`seedfeed.scheduler`, to dispatch ``daemon`` and ``status``.

``seedfeed build`` first asks :mod:`seedfeed.unchanged` whether there is anything to do, before the parser and
the pipeline are imported: under cron, nothing changed is the common case.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any


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


def __getattr__(name: str) -> Any:
    if name == "build_parser":   # imported on demand: ``seedfeed build`` may not need the parser at all
        from .main import build_parser

        return build_parser
    raise AttributeError(name)


__all__ = ["build_parser", "main"]
