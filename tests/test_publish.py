"""``seedfeed.publish`` called directly: what a caller relies on besides atomicity (which the crash tests prove
by killing inside the real writes): the return value, in-place creation, keeping the previous version, and which
leftovers the stale-temp-file sweep may delete."""

from __future__ import annotations

import errno
import os
import resource
import signal

import pytest
from seedfeed.errors import LockedError, OutputError
from seedfeed.publish import _write_error, remove, remove_stale_temp_files, run_lock, sync_files, write_if_changed


def test_write_if_changed_says_whether_it_wrote(tmp_path):
    feed = tmp_path / "out" / "rss.xml"
    assert write_if_changed(feed, b"one") is True and feed.read_bytes() == b"one"
    before = feed.stat().st_mtime_ns, feed.stat().st_ino
    assert write_if_changed(feed, b"one") is False
    assert (feed.stat().st_mtime_ns, feed.stat().st_ino) == before          # untouched: Last-Modified stays
    assert write_if_changed(feed, b"two", previous=tmp_path / "prev" / "rss.xml") is True
    assert feed.read_bytes() == b"two" and (tmp_path / "prev" / "rss.xml").read_bytes() == b"one"
    assert feed.stat().st_ino != before[1]                                   # replaced by a rename, not rewritten
    assert oct(feed.stat().st_mode & 0o777) == oct(0o644)


def test_a_new_page_is_written_in_place_and_counted(tmp_path):
    page = tmp_path / "items" / "a.html"
    page.parent.mkdir()
    assert write_if_changed(page, b"<html>a</html>", new_in_place=True) is True
    assert page.read_bytes() == b"<html>a</html>" and os.listdir(page.parent) == ["a.html"]
    assert write_if_changed(page, b"<html>a</html>", new_in_place=True) is False


def test_the_sweep_deletes_only_hidden_temp_files(tmp_path):
    names = [".rss.xml.abc123.tmp", ".htaccess", "notes.tmp", "rss.xml", ".well-known"]
    for name in names:
        (tmp_path / name).write_text("x")
    remove_stale_temp_files(tmp_path)
    assert sorted(os.listdir(tmp_path)) == sorted(n for n in names if n != ".rss.xml.abc123.tmp")
    assert remove(tmp_path / "rss.xml") is True and remove(tmp_path / "rss.xml") is False


def test_a_feed_write_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    """Durability across a power cut cannot be shown by killing a process (the page cache survives), so this
    watches the real os.fsync: a feed write syncs its temp file, an item page (fsync=False) does not."""
    import seedfeed.publish as publish

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(publish.os, "fsync", lambda fd: synced.append(fd) or real(fd))
    write_if_changed(tmp_path / "rss.xml", b"feed")
    assert len(synced) == 1
    write_if_changed(tmp_path / "page.html", b"page", fsync=False)
    assert len(synced) == 1


def test_sync_files_copies_new_files_removes_the_rest_and_counts_each(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.png").write_bytes(b"a")
    (src / "b.png").write_bytes(b"bb")
    root = tmp_path / "files"
    files = {"a.png": str(src / "a.png"), "sub/b.png": str(src / "b.png")}
    assert sync_files(root, files) == 2
    assert (root / "sub" / "b.png").read_bytes() == b"bb"
    assert sync_files(root, files) == 0          # same size and mtime: nothing copied
    del files["a.png"]
    assert sync_files(root, files) == 1 and not (root / "a.png").exists()


def test_sync_files_that_cannot_make_a_folder_is_an_output_error_naming_the_file(tmp_path):
    """A dangling symlink where a folder must go: the file is not there (so it is copied), and the folder cannot
    be made. That is the output's problem, reported as such (exit 3), not an unexpected exception."""
    (tmp_path / "b.png").write_bytes(b"bb")
    root = tmp_path / "files"
    root.mkdir()
    (root / "sub").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError) as info:
        sync_files(root, {"sub/b.png": str(tmp_path / "b.png")})
    assert info.value.message.startswith(f"{root / 'sub' / 'b.png'}: cannot write"), info.value.message


def test_a_new_page_that_cannot_be_written_whole_is_removed_and_reported_as_an_output_error(tmp_path):
    """The write of a page made in place fails part-way (here: a file-size limit of 1,000 bytes, as a full disk
    would): no half page is left, and the failure is an OutputError naming the page (exit 3)."""
    page = tmp_path / "items" / "a.html"
    page.parent.mkdir()
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # the write then fails with EFBIG instead
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, limit[1]))
        with pytest.raises(OutputError) as info:
            write_if_changed(page, b"<p>" + b"x" * 5000, new_in_place=True)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, handler)
    assert info.value.message.startswith(f"{page}: cannot write"), info.value.message
    assert os.listdir(page.parent) == []


def test_sync_files_skips_a_source_it_cannot_read_and_tries_again_next_run(tmp_path):
    """A source that became a folder, or whose path now runs through a file: not the output's problem."""
    (tmp_path / "became-a-folder.png").mkdir()
    (tmp_path / "a-file").write_bytes(b"x")
    (tmp_path / "fine.png").write_bytes(b"ok")
    root = tmp_path / "files"
    files = {"one.png": str(tmp_path / "became-a-folder.png"), "two.png": str(tmp_path / "a-file" / "two.png"),
             "three.png": str(tmp_path / "fine.png")}
    assert sync_files(root, files) == 1                  # the readable one after them is still copied
    assert not (root / "one.png").exists() and not (root / "two.png").exists()
    assert (root / "three.png").read_bytes() == b"ok" and oct((root / "three.png").stat().st_mode & 0o777) == oct(0o644)


def test_the_lock_error_names_the_pid_holding_the_lock(tmp_path):
    state = tmp_path / "new" / ".seedfeed" / "state.sqlite"      # folders that do not exist yet are made
    with run_lock(state), pytest.raises(LockedError) as info, run_lock(state, wait=0):
        pass
    assert info.value.message.endswith(f"another seedfeed run is in progress (pid {os.getpid()})"), info.value.message


def test_a_path_that_cannot_be_removed_is_an_output_error_naming_it(tmp_path):
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(OutputError) as info:
        remove(tmp_path / "a-folder")
    assert info.value.message.startswith(f"{tmp_path / 'a-folder'}: cannot remove"), info.value.message


def test_each_write_error_gets_the_hint_for_its_cause(tmp_path):
    hints = {code: _write_error(tmp_path / "rss.xml", OSError(code, os.strerror(code))).hint
             for code in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EIO)}
    assert hints[errno.ENOSPC].startswith("free space on the disk")
    assert "read-only filesystem" in hints[errno.EROFS]
    assert hints[errno.EACCES].startswith(f"make {tmp_path} writable")
    assert hints[errno.EIO] == "check free disk space and the output folder's permissions"


def test_a_feed_file_that_cannot_be_read_is_an_output_error_naming_it(tmp_path):
    """Before writing, the current file is read to compare: a path that cannot even be looked at (here its folder
    is a file) is the output's problem, named, not an unexpected exception."""
    (tmp_path / "out").write_text("a file where the output folder should be")
    with pytest.raises(OutputError) as info:
        write_if_changed(tmp_path / "out" / "rss.xml", b"<rss/>")
    assert info.value.message.startswith(f"{tmp_path / 'out' / 'rss.xml'}: cannot read"), info.value.message
