"""Regenerate tests/data/golden/<case>/expected from the current code: ``python tests/regen_golden.py [CASE ...]``.

Run it only after a deliberate output change, then review ``git diff tests/data/golden`` before committing:
the diff is the change readers will see. It is a command, not a test, so it can never pass as one.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.golden import CASES, build_case  # noqa: E402 - after the path is set


def main(names: list[str]) -> int:
    unknown = set(names) - {c.name for c in CASES}
    if unknown:
        print(f"unknown case(s): {', '.join(sorted(unknown))}; known: {', '.join(c.name for c in CASES)}",
              file=sys.stderr)
        return 2
    for case in CASES:
        if names and case.name not in names:
            continue
        with tempfile.TemporaryDirectory() as work:
            output = build_case(case, Path(work))
            shutil.rmtree(case / "expected", ignore_errors=True)
            shutil.copytree(output, case / "expected")
        print(f"regenerated {case / 'expected'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
