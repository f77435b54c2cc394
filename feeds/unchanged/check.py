"""The check before a build: is there anything to do, and if so, which paths changed? (See the package.)"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from .. import __version__
from .files import FORMAT, STAMP_SUFFIX, blake2b, digest, listing, load, plain, read_bytes, save, sig
from .stamp import Stamping

TYPE_CHECKING = False   # not typing.TYPE_CHECKING: importing typing costs the check ~1 ms
if TYPE_CHECKING:
    from typing import Any

_VALUE_OPTIONS = {"--config", "--seeds", "--output", "--state", "--base-url", "--title", "--max-items", "--wait",
                  "--fetch-budget"}
_FLAGS = {"-q", "--quiet", "--allow-private", "--debug"}   # anything else (--dry-run, -v, --url ...): a full run
_ENV_NAMES = {"SOURCE_DATE_EPOCH", "TZ", "LANG", "HOME", "TERM"}
_ENV_PREFIXES = ("SEEDFEED_", "PYTHON", "LC_", "AWS_")
RACY_NS = 2_000_000_000   # a config edited this close to the check may be edited again within the same mtime
MAX_PATHS = 5_000         # more changed paths than this: a full walk is as cheap as looking at each


class Verdict:
    """What the check decided: ``done`` (nothing to do, ``built_at`` recorded), or run the pipeline -- on
    ``changed`` paths only, or (``None``) on everything -- and let ``stamping`` leave a stamp after it."""

    def __init__(self, done: bool = False, changed: list[str] | None = None, stamping: Stamping | None = None):
        self.done, self.changed, self.stamping = done, changed, stamping


def check(argv: Sequence[str], cwd: str, env: Mapping[str, str]) -> Verdict:
    """Decide whether ``seedfeed ARGV`` has anything to do (see the module docstring)."""
    options = parse_build_options(argv)
    if options is None:
        return Verdict()
    state = state_file(options, cwd)
    if state is None:
        return Verdict()
    config = _config_path(options, cwd)
    stamping = Stamping(state, _key(argv, cwd, env), _code(), {config: sig(config)} if config else {})
    if config and _racy(stamping.config[config]):
        stamping.config = {}   # never stamped: an edit in the same mtime tick would go unseen
    stamp = load(state + STAMP_SUFFIX)
    if (stamp is None or stamp.get("format") != FORMAT or stamp["key"] != stamping.key
            or stamp["code"] != stamping.code or stamp["config"] != plain(stamping.config)):
        return Verdict(stamping=stamping)
    with _try_lock(state) as locked:
        if not locked or any(sig(path) != stamped for path, stamped in stamp["files"]):
            return Verdict(stamping=stamping)
        changed: list[str] = []
        for feed in stamp["feeds"]:
            for folder, dirs in feed["folders"]:
                found = listing(folder)
                if found is None:
                    return Verdict(stamping=stamping)   # the walk would report a problem: a full run reports it
                changed += _differing(folder, dirs, found)
        if changed:
            stamping.previous, stamping.state_sig = stamp, sig(state)
            return Verdict(changed=changed if len(changed) <= MAX_PATHS else None, stamping=stamping)
        if not _record_built_at(state, [feed["name"] for feed in stamp["feeds"]], env):
            return Verdict(stamping=stamping)   # the full run reports what is wrong with the state
        stamp["files"] = [[path, sig(path)] for path, _ in stamp["files"]]
        save(state + STAMP_SUFFIX, stamp)
    return Verdict(done=True)


def parse_build_options(argv: Sequence[str]) -> dict[str, list[str]] | None:
    """The value options of ``build ...`` when every argument is one the shortcut understands, else ``None``."""
    if not argv or argv[0] != "build":
        return None
    found: dict[str, list[str]] = {}
    rest = list(argv[1:])
    i = 0
    while i < len(rest):
        name, eq, value = rest[i].partition("=")
        if name in _VALUE_OPTIONS:
            if not eq:
                i += 1
                if i == len(rest):
                    return None
                value = rest[i]
            found.setdefault(name, []).append(value)
        elif rest[i] not in _FLAGS:
            return None
        i += 1
    return found


def state_file(options: Mapping[str, list[str]], cwd: str) -> str | None:
    """The state file a build with these options uses (as seedfeed.config resolves it); ``None``: PostgreSQL,
    or a config this check does not read."""
    if "--state" in options:
        where = options["--state"][-1]
        if where.startswith(("postgresql://", "postgres://")):
            return None
        path = os.path.join(cwd, where)
    else:
        config = _config_path(options, cwd)
        if config:
            home = os.path.dirname(os.path.realpath(config))
            path = os.path.join(home, ".seedfeed", "state.sqlite")
            data = read_bytes(config)
            if data is None:
                return None
            if b"state" in data:
                import tomllib

                try:
                    value = tomllib.loads(data.decode("utf-8")).get("state")
                except (UnicodeDecodeError, tomllib.TOMLDecodeError):
                    return None
                if value is not None:
                    if not isinstance(value, str) or value.startswith(("postgresql://", "postgres://")):
                        return None
                    path = os.path.join(home, value)
        else:
            seeds = os.path.realpath(os.path.join(cwd, options.get("--seeds", ["seeds"])[0]))
            path = os.path.join(os.path.dirname(seeds), ".seedfeed", "state.sqlite")
    if not os.path.splitext(os.path.basename(os.path.normpath(path)))[1] or os.path.isdir(path):
        path = os.path.join(path, "state.sqlite")
    return os.path.realpath(path)


def _differing(folder: str, dirs: Mapping[str, list[str]], found: Mapping[str, list[tuple[str, int, int]]]) -> list[str]:
    """The paths of every document, stamped or found, in the folders whose documents differ from the stamp."""
    paths: list[str] = []
    for rel in dirs.keys() | found.keys():
        stamped, now = dirs.get(rel), found.get(rel)
        if stamped is not None and now is not None and digest(now) == stamped[0]:
            continue
        names = set(stamped[1].split("\n")) if stamped else set()
        names.update(name for name, _, _ in now or ())
        where = os.path.join(folder, *rel.split("/")) if rel else folder
        paths += [os.path.join(where, name) for name in sorted(names)]
    return paths


def _key(argv: Sequence[str], cwd: str, env: Mapping[str, str]) -> str:
    """Everything besides files that decides what a build does."""
    variables = sorted((k, v) for k, v in env.items() if k in _ENV_NAMES or k.startswith(_ENV_PREFIXES))
    return repr([__version__, sys.version, sys.executable, cwd, list(argv), variables])


def _code() -> str:
    """The stat of seedfeed's modules and of the folders packages are installed in (installing or upgrading one
    changes its folder; the working folder, also on ``sys.path``, changes with every output folder made in it)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sigs: list[Any] = []
    for folder, dirs, files in os.walk(here):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        sigs += [(folder, name, sig(os.path.join(folder, name))) for name in sorted(files) if name.endswith(".py")]
    sigs += [(entry, sig(entry)) for entry in sys.path if entry.endswith(("site-packages", "dist-packages"))]
    return blake2b(repr(sigs).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _config_path(options: Mapping[str, list[str]], cwd: str) -> str | None:
    if "--config" in options:
        return os.path.join(cwd, options["--config"][-1])
    default = os.path.join(cwd, "seedfeed.toml")
    return default if os.path.isfile(default) else None


def _racy(sig: list[int] | None) -> bool:
    import time

    return sig is not None and time.time_ns() - max(sig[1], sig[2]) < RACY_NS


class _try_lock:
    """The run lock (see seedfeed.publish.run_lock), taken without waiting: a busy lock means a full run, which
    waits for it."""

    def __init__(self, state: str) -> None:
        self.path = state + ".lock"
        self.fd = -1

    def __enter__(self) -> bool:
        import fcntl

        try:
            self.fd = os.open(self.path, os.O_RDWR)
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return True

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)


def _record_built_at(state: str, feeds: list[str], env: Mapping[str, str]) -> bool:
    """What a no-change run writes to the state: each feed's ``built_at`` (``seedfeed status`` shows it), as
    ``datetime.isoformat(timespec="microseconds")`` writes it in UTC (without importing datetime)."""
    import sqlite3
    import time

    try:
        pinned = env.get("SOURCE_DATE_EPOCH")   # as seedfeed.pipeline.clock reads it
        now_us = int(pinned) * 1_000_000 if pinned else time.time_ns() // 1000
        tm = time.gmtime(now_us // 1_000_000)
        db = sqlite3.connect(state)
    except (ValueError, OverflowError, OSError, sqlite3.Error):
        return False
    stamp = (f"{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
             f".{now_us % 1_000_000:06d}+00:00")
    try:
        with db:
            db.executemany("UPDATE feeds SET built_at = ? WHERE name = ?", [(stamp, name) for name in feeds])
    except sqlite3.Error:
        return False
    finally:
        db.close()
    return True
