"""The ``seedfeed`` command line: the parser (:mod:`.main`) and one module per command it runs itself.

Takes argv. Gives out an exit status (see :mod:`seedfeed.errors`). The only part of ``feeds/`` that may import
:mod:`seedfeed.scheduler`, to dispatch ``daemon`` and ``status``. :mod:`.entry` is where a process starts.
"""

from .entry import main

__all__ = ["main"]
