"""Run a command and write its own peak RSS (KiB) to a file: ``python tests/peak_rss.py REPORT CMD ARGS...``

Linux keeps a process's memory high-water mark across ``exec``, so ``wait4`` on a build forked straight from
pytest reports pytest's own size whenever pytest is the bigger one. Forked from this small process instead, the
build's ``ru_maxrss`` is its own. The exit status (or the signal that killed the command) is passed on.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    report, argv = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(report, "w", encoding="ascii") as handle:
        handle.write(str(usage.ru_maxrss))
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
