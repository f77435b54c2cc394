# ruff: noqa: F811  (pytest fixtures imported from tests/hosted.py are arguments here)
"""``--output s3://bucket/prefix`` against a real S3 server (SeaweedFS): content types and cache headers, nothing
re-uploaded when unchanged, pages before the feeds that link them, removed pages deleted after the feeds."""

from __future__ import annotations

import re
from datetime import timedelta

import feedparser
from seedfeed.targets.s3 import kind_of

from tests.conftest import FIXED_NOW, run_cli, write
from tests.hosted import S3_ENV, bucket, origin, pg_server, pg_url, s3_server  # noqa: F401  (fixtures)

EPOCH = int(FIXED_NOW.timestamp())


def build(site, s3_server, name, epoch=EPOCH):  # noqa: ANN001
    done = run_cli("build", "-v", "--output", f"s3://{name}/site", cwd=site,
                   env={**S3_ENV, "AWS_ENDPOINT_URL": s3_server, "SOURCE_DATE_EPOCH": str(epoch)})
    assert done.returncode == 0, done.stderr
    return re.findall(r"(uploaded|deleted) s3://\S+?/site/(\S+)", done.stderr)


def test_build_uploads_to_s3_in_link_order_and_only_what_changed(tmp_path, s3_server, bucket):
    name, s3 = bucket
    site = tmp_path
    write(site / "seeds" / "a.md", "# Apple\n\nFirst.\n", FIXED_NOW)
    write(site / "seeds" / "b.md", "# Banana\n\nSecond.\n", FIXED_NOW)
    first = build(site, s3_server, name)
    keys = [k for _, k in first]
    assert {"rss.xml", "atom.xml", "feed.json", "index.html", "feeds.opml"} <= set(keys)
    assert len([k for k in keys if k.startswith("items/")]) == 2
    # Every page a feed links is up before the feeds; the pages linking the feeds come last.
    assert [kind_of(k) for k in keys] == sorted((kind_of(k) for k in keys), key={"item": 0, "feed": 1, "page": 2}.get)
    head = s3.head_object(Bucket=name, Key="site/rss.xml")
    assert head["ContentType"] == "application/rss+xml; charset=utf-8" and head["CacheControl"] == "public, max-age=300"
    page = next(k for k in keys if k.startswith("items/"))
    assert s3.head_object(Bucket=name, Key=f"site/{page}")["ContentType"] == "text/html; charset=utf-8"
    rss = s3.get_object(Bucket=name, Key="site/rss.xml")["Body"].read()
    parsed = feedparser.parse(rss)
    assert not parsed.bozo and {e.title for e in parsed.entries} == {"Apple", "Banana"}
    assert rss == (site / ".seedfeed" / "stage" / name / "site" / "rss.xml").read_bytes()

    assert build(site, s3_server, name) == []   # nothing changed: nothing uploaded

    (site / "seeds" / "b.md").unlink()
    write(site / "seeds" / "a.md", "# Apple\n\nEdited.\n", FIXED_NOW + timedelta(hours=1))
    third = build(site, s3_server, name, EPOCH + 3600)
    actions = [a for a, _ in third]
    assert actions[-1] == "deleted" and actions.count("deleted") == 1   # the removed item's page, after the feeds
    gone = third[-1][1]
    assert gone.startswith("items/") and gone not in {k["Key"][5:] for k in s3.list_objects_v2(Bucket=name)["Contents"]}
    assert "rss.xml" in [k for _, k in third]
    titles = {e.title for e in feedparser.parse(s3.get_object(Bucket=name, Key="site/rss.xml")["Body"].read()).entries}
    assert titles == {"Apple"}


def test_a_missing_bucket_is_a_clear_error(tmp_path, s3_server):
    write(tmp_path / "seeds" / "a.md", "# Apple\n\nFirst.\n", FIXED_NOW)
    done = run_cli("build", "--output", "s3://no-such-bucket-seedfeed/x", cwd=tmp_path,
                   env={**S3_ENV, "AWS_ENDPOINT_URL": s3_server})
    assert done.returncode == 3 and "s3://no-such-bucket-seedfeed/x: cannot upload" in done.stderr
    assert "hint:" in done.stderr


def test_a_render_whose_upload_fails_is_uploaded_by_the_retry_though_nothing_changed(tmp_path, origin, pg_url,
                                                                                      s3_server, bucket, monkeypatch):
    """docs/scaling.md, failure modes: the S3 endpoint refuses (here a bucket that does not exist yet, on the real
    server). The render fails after the state was committed and rendered locally, its feed left render-pending;
    the retry, with nothing new fetched, renders and uploads the feed all the same and clears the mark."""
    import psycopg
    import pytest
    from seedfeed.config import Overrides, load
    from seedfeed.errors import OutputError
    from seedfeed.hosted import claims, fetching, jobs

    _, s3 = bucket   # a bucket on the server: it is up and answering
    for key, value in {**S3_ENV, "AWS_ENDPOINT_URL": s3_server}.items():
        monkeypatch.setenv(key, value)
    name = f"late{bucket[0]}"   # not created yet: the server refuses every upload to it
    origin.pages["/a"] = ("Story a", "Text of a.")
    write(tmp_path / "seedfeed.toml", f'allow_private = true\nstate = "{pg_url}"\n[[feeds]]\nname = "a"\n'
                                      f'seeds = ["a"]\npages = [{{url = "{origin.url}/a", every = "1h"}}]\n')
    write(tmp_path / "a" / "apple.md", "# Apple\n\nA seed file: its page is staged once and not rewritten.\n", FIXED_NOW)
    config = load(tmp_path / "seedfeed.toml", Overrides(output=f"s3://{name}/feeds"), tmp_path)
    jobs.ensure_schema(pg_url)
    with psycopg.connect(pg_url) as db:
        claims.sync(db, config, jobs.now_utc())
        db.commit()

    def pending() -> bool:
        with psycopg.connect(pg_url) as db:
            return bool(db.execute("SELECT render_pending FROM feeds WHERE name = 'a'").fetchone()[0])  # type: ignore[index]

    assert fetching.fetch(config, claims.host_of(origin.url), "job:1", delay=0) == ["a"]
    with pytest.raises(OutputError) as failed:
        jobs.render(config, "a")
    assert str(failed.value).startswith(f"s3://{name}/feeds: cannot upload (") and "NoSuchBucket" in str(failed.value)
    assert "check the bucket exists" in failed.value.hint
    staged = config.output / "a" / "feed.json"
    assert "Story a" in staged.read_text()   # committed and rendered locally
    assert pending()                        # ... and the state says the feed's files are not all out yet

    s3.create_bucket(Bucket=name)             # the endpoint works again; nothing changed at the origin
    hits = origin.hits["/a"]
    assert jobs.render(config, "a")  # the render job's retry: it fetches nothing
    assert origin.hits["/a"] == hits
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])}
    assert {"feeds/a/rss.xml", "feeds/a/atom.xml", "feeds/a/feed.json", "feeds/a/index.html"} <= keys
    pages = {f"feeds/{p.relative_to(config.output).as_posix()}" for p in (config.output / "a" / "items").iterdir()}
    assert len(pages) == 1 and pages <= keys   # the page the first run staged, not rewritten by the retry
    assert s3.get_object(Bucket=name, Key="feeds/a/feed.json")["Body"].read() == staged.read_bytes()
    assert not pending()


def test_a_render_killed_between_its_commit_and_its_upload_is_uploaded_in_full_by_the_next(
        tmp_path, origin, pg_url, s3_server, bucket, monkeypatch):
    """docs/scaling.md, failure modes: kill -9 while the upload hangs (an endpoint that never answers), after the
    state and the harvest rows were committed. The feed's next render, with nothing new to apply, renders it in
    full and uploads it: the mark the killed render left says its files never got out."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import psycopg
    from seedfeed.config import Overrides, load
    from seedfeed.hosted import claims, fetching, jobs

    from tests.conftest import ROOT

    name, s3 = bucket
    origin.pages["/a"] = ("Story a", "Text of a.")
    write(tmp_path / "seedfeed.toml", f'allow_private = true\nstate = "{pg_url}"\n[[feeds]]\nname = "a"\n'
                                      f'seeds = []\npages = [{{url = "{origin.url}/a", every = "1h"}}]\n')
    output = f"s3://{name}/feeds"
    config = load(tmp_path / "seedfeed.toml", Overrides(output=output), tmp_path)
    jobs.ensure_schema(pg_url)
    with psycopg.connect(pg_url) as db:
        claims.sync(db, config, jobs.now_utc())
        db.commit()
    assert fetching.fetch(config, claims.host_of(origin.url), "job:1", delay=0) == ["a"]

    tarpit = socket.socket()   # accepts connections (the kernel does) and never answers
    tarpit.bind(("127.0.0.1", 0))
    tarpit.listen(16)
    script = ("import sys; from pathlib import Path; from seedfeed.config import Overrides, load; "
              "from seedfeed.hosted import jobs; "
              "jobs.render(load(Path('seedfeed.toml'), Overrides(output=sys.argv[1]), Path.cwd()), 'a')")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **S3_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{tarpit.getsockname()[1]}"}
    worker = subprocess.Popen([sys.executable, "-c", script, output], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        with psycopg.connect(pg_url, autocommit=True) as db:
            while db.execute("SELECT count(*) FROM harvests").fetchone()[0] and time.monotonic() < deadline:  # type: ignore[index]
                assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
                time.sleep(0.05)
        assert "Story a" in (config.output / "a" / "feed.json").read_text()   # committed, rendered, rows consumed
        time.sleep(0.5)   # ... and now waiting on the upload
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        tarpit.close()

    for key, value in {**S3_ENV, "AWS_ENDPOINT_URL": s3_server}.items():
        monkeypatch.setenv(key, value)
    hits = origin.hits["/a"]
    assert jobs.render(config, "a")   # the render job's retry (requeued after --stalled-after): nothing to apply
    assert origin.hits["/a"] == hits
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])}
    assert {"feeds/a/rss.xml", "feeds/a/atom.xml", "feeds/a/feed.json", "feeds/a/index.html"} <= keys
    staged = {f"feeds/{p.relative_to(config.output).as_posix()}" for p in (config.output / "a").rglob("*") if p.is_file()}
    assert staged <= keys, staged - keys
    assert b"Story a" in s3.get_object(Bucket=name, Key="feeds/a/feed.json")["Body"].read()
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT count(*) FROM uploads_pending").fetchone() == (0,)
        assert db.execute("SELECT render_pending FROM feeds WHERE name = 'a'").fetchone() == (0,)
