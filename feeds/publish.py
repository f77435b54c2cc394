"""Write output files safely, and keep two runs from interleaving.

A file is written to a temp file in the same folder, fsynced, then renamed over the old one, so a reader
(or a crash) never sees half a feed. A file whose bytes would not change is not touched at all: its mtime
stays the time its content last changed, which is what HTTP ``Last-Modified`` should say.

When a feed file is replaced, its old bytes can be kept (``previous=``) outside output/, so ``seedfeed check``
can compare what readers had with what they get now (ids that vanished, items re-broadcast under new ids).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import LockedError, OutputError

TEMP_SUFFIX = ".tmp"   # temp files are ".<name>.<random>.tmp": hidden, and never served as a feed


def kept_folder(state_file: Path, feed_name: str) -> Path:
    """Where the replaced versions of one feed's files are kept: ``<state folder>/previous/<feed or _default>/``.

    ``_default`` cannot clash with a feed name (names start with a letter or digit)."""
    return state_file.parent / "previous" / (feed_name or "_default")


def write_if_changed(path: Path, data: bytes, *, fsync: bool = True, new_in_place: bool = False,
                     previous: Path | None = None) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds exactly these bytes.

    ``new_in_place``: a file that does not exist yet is written straight to its name (one file created instead
    of two). Only for files nothing links to until later in the run (item pages, written before the feeds),
    and only while the feed is marked render-pending, so a page cut short by a crash is rewritten next run.
    ``previous``: before replacing an existing file, keep its old bytes there (atomically too).
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
        if previous is not None:
            write_if_changed(previous, path.read_bytes())
    except FileNotFoundError:
        if new_in_place:
            try:
                with open(path, "xb") as handle:
                    try:
                        handle.write(data)
                        handle.flush()
                    except OSError:
                        os.unlink(path)  # leave no half page behind (the disk may be full)
                        raise
                return True
            except FileNotFoundError:
                pass  # folder missing: the general path below creates it
            except OSError as exc:
                raise _write_error(path, exc) from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot read ({exc.strerror})", "check the output folder's permissions") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temp_beside(path)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _write_error(path, exc) from None
    return True


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new, empty, hidden temp file in ``path``'s folder, opened for writing: ``(fd, name)``.

    What ``tempfile.mkstemp`` does (a random name, created exclusively, owner-only until the chmod), without
    importing tempfile: with random, shutil, bz2 and lzma that was 1.7 ms of every run that writes a file."""
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{os.urandom(6).hex()}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temp file name", str(path.parent))


def _write_error(path: Path, exc: OSError) -> OutputError:
    """``path: cannot write (No space left on device)`` with a hint that fits the cause."""
    folder = path.parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = f"free space on the disk holding {folder}, then run again (files already published are unchanged)"
    elif exc.errno == errno.EROFS:
        hint = f"{folder} is on a read-only filesystem; remount it read-write or choose another folder with --output"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = f"make {folder} writable by this user, or choose another folder with --output"
    else:
        hint = "check free disk space and the output folder's permissions"
    return OutputError(f"{path}: cannot write ({exc.strerror})", hint)


def fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OutputError(f"{path}: cannot remove ({exc.strerror})", "check the output folder's permissions") from None


def sync_files(root: Path, files: dict[str, str]) -> int:
    """Make ``root`` hold exactly ``files`` (published path -> source file): copy new and changed ones (atomically,
    keeping the source's mtime, so an unchanged file is recognised by size and mtime without reading it), remove
    the rest. Returns how many files were written or removed."""
    changed = 0
    for rel, source in files.items():
        dest = root / rel
        try:
            st = os.stat(source)
            current = dest.stat()
            if (current.st_size, current.st_mtime_ns) == (st.st_size, st.st_mtime_ns):
                continue
        except FileNotFoundError:
            pass
        except OSError:
            continue   # the source went away or became unreadable since it was checked: try again next run
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            import shutil

            fd, tmp = _temp_beside(dest)
            os.close(fd)
        except OSError as exc:
            raise _write_error(dest, exc) from None
        try:
            shutil.copyfile(source, tmp)
            shutil.copystat(source, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
            changed += 1
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if exc.filename == source or not os.path.exists(source):
                continue   # a read error on the source is not an output problem: try again next run
            raise _write_error(dest, exc) from None
    if root.is_dir():
        for path in sorted(root.rglob("*"), reverse=True):   # files before the folders holding them
            rel = path.relative_to(root).as_posix()
            if path.is_dir() and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.rmdir()   # only when empty
            elif rel not in files:
                changed += remove(path)
    return changed


@contextlib.contextmanager
def run_lock(state_file: Path, wait: float = 10.0) -> Iterator[None]:
    """Hold the run lock beside the state file. Waits up to ``wait`` seconds, then raises :class:`LockedError`."""
    lock_path = state_file.with_name(state_file.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"{lock_path}: cannot create the lock file ({exc.strerror})",
                          "check the state folder is writable, or move it with --state") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode("ascii", "ignore").strip()
                    raise LockedError(
                        f"{lock_path}: another seedfeed run is in progress{f' (pid {holder})' if holder else ''}",
                        "wait for it to finish; if no seedfeed is running, this message goes away by itself") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove_stale_temp_files(folder: Path) -> None:
    """Delete the temp files of :func:`write_if_changed` a killed run left in ``folder``.

    Only call it under the run lock: temp files are only made under it, so any found then are leftovers."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(TEMP_SUFFIX):
            remove(folder / name)
