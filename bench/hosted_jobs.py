"""CPU of single hosted-mode jobs at a given configuration size, in one process (no worker, no queue).

    python bench/hosted_jobs.py --sources 10000 --feeds 500
    python bench/hosted_jobs.py --sources 50000 --feeds 2500 --profile

Builds the same kind of configuration as ``bench/distributed.py`` (``--feeds`` feeds of sources/feeds pages each;
the pages are served by a few local HTTP servers: this measures CPU, not politeness), syncs the due sources as
dispatch does (twice: new, then unchanged), runs ``--jobs`` fetch jobs (the claimed sources of one feed each) and
the render job of each feed, feed after feed, copies their rows (items, sources, feeds) to every other feed as if
a round had fetched them all, runs the same jobs again (mostly 304s, as in round 2), then the site job (overview
and OPML) ``--site`` times with one worker's summaries (the first reads every feed, the next ones only the feed
marked written in between), and prints the process CPU time of each kind per job and per fetch. A job's cost
must not grow with the number of feeds or sources; ``--profile`` prints the top of a cProfile (process-time clock) of them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def config_text(ports: list[int], sources: int, feeds: int, state: str) -> str:
    text = f'allow_private = true\nstate = "{state}"\n'
    per_feed: dict[int, list[int]] = {}
    for n in range(sources):
        per_feed.setdefault(n % feeds, []).append(n)
    for f, numbers in per_feed.items():
        port = ports[f % len(ports)]
        pages = ", ".join(f'{{url = "http://127.0.0.1:{port}/s{n}", every = "1h"}}' for n in numbers)
        text += f'[[feeds]]\nname = "h{f}"\nseeds = ["h{f}"]\npages = [{pages}]\n'
    return text


def fetch_and_render(config, url: str, name: str, holder: str, polite, times: list[float]) -> None:  # noqa: ANN001
    """A fetch job whose shard is the sources of feed ``name`` (claimed here as ``claims.claim_host`` would), then
    that feed's render job; ``times`` gets the render's CPU seconds."""
    import psycopg
    from seedfeed.hosted import fetching, harvests, jobs
    from seedfeed.hosted.gate import SharedFetcher
    from seedfeed.pipeline import make_fetcher
    from seedfeed.records import replace

    with psycopg.connect(url) as db:
        rows = db.execute("UPDATE due_sources SET lease_until = now() + interval '10 minutes', holder = %s,"
                          " epoch = epoch + 1 WHERE feed = %s RETURNING feed, url, epoch", (holder, name)).fetchall()
        db.commit()
        claimed = {(r[0], r[1]): r[2] for r in rows}
        policy = make_fetcher(config).policy
        fetcher = SharedFetcher(replace(policy, per_host_concurrency=polite.concurrency,
                                                    per_host_delay=polite.delay), url)
        try:
            found = fetching.fetch_claimed(config, claimed, fetcher, jobs.now_utc(), threads=polite.concurrency)
        finally:
            fetcher.close()
        harvests.commit(db, config, claimed, found, jobs.now_utc())
    t = time.process_time()
    jobs.render(config, name)
    times.append(time.process_time() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=10000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=20, help="fetch-and-render jobs timed (of different feeds)")
    parser.add_argument("--site", type=int, default=3, help="site jobs timed")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    import psycopg
    from seedfeed.config import Overrides, load
    from seedfeed.hosted import claims, jobs
    from seedfeed.hosted.overview import Summaries

    from bench.distributed import Origin
    from tests.hosted import create_database, start_cluster

    pg_dir = Path(tempfile.mkdtemp(prefix="seedfeed-bench-pg-"))
    pg_dir.chmod(0o755)
    server, stop = start_cluster(pg_dir)
    origin = Origin(10)
    work = Path(tempfile.mkdtemp(prefix="seedfeed-bench-"))
    profile = cProfile.Profile(time.process_time)
    try:
        url = create_database(server)
        for f in range(args.feeds):
            (work / f"h{f}").mkdir()
        (work / "seedfeed.toml").write_text(config_text(origin.ports, args.sources, args.feeds, url))
        t = time.process_time()
        config = load(work / "seedfeed.toml", Overrides(), work)
        load_cpu = time.process_time() - t
        jobs.ensure_schema(url)
        sync_cpu = []
        for _ in range(2):   # what dispatch writes each time it runs: every source's due_sources row
            t = time.process_time()
            with psycopg.connect(url) as db:
                claims.sync(db, config, jobs.now_utc())
            sync_cpu.append(time.process_time() - t)
        polite = jobs.Politeness(concurrency=2, delay=0.0)
        names = [feed.name for feed in config.feeds][:: max(1, args.feeds // args.jobs)][: args.jobs]
        fetched = 0
        render_cpu: list[float] = []
        render2_cpu: list[float] = []
        t = time.process_time()
        for name in names:
            profile.enable()
            fetch_and_render(config, url, name, f"bench:{name}", polite, render_cpu)
            profile.disable()
        refresh_cpu = time.process_time() - t
        fetched = sum(len(f.web_sources) for f in config.feeds if f.name in names)
        with psycopg.connect(url) as db:   # the state after a round: every other feed gets a copy of one's rows
            full = db.execute("SELECT feed FROM items GROUP BY feed ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            others = [f.name for f in config.feeds if f.name not in names]
            for table, key in (("items", "feed"), ("sources", "feed"), ("feeds", "name")):
                cols = [r[0] for r in db.execute("SELECT column_name FROM information_schema.columns"
                                                 " WHERE table_name = %s AND column_name <> %s", (table, key))]
                db.execute(f"INSERT INTO {table} ({key}, {', '.join(cols)}) SELECT f.name, "
                           f"{', '.join('t.' + c for c in cols)} FROM {table} t, unnest(%s::text[]) f(name)"
                           f" WHERE t.{key} = %s", (others, full))
        t = time.process_time()
        for name in names:   # the same jobs again, on the full state (round 2: mostly 304s)
            with psycopg.connect(url) as db:
                db.execute("UPDATE due_sources SET due_at = now() WHERE feed = %s", (name,))
            profile.enable()
            fetch_and_render(config, url, name, f"bench2:{name}", polite, render2_cpu)
            profile.disable()
        refresh2_cpu = time.process_time() - t
        kept = Summaries()   # a worker's: the first site job reads every feed, the next ones only those written since
        site_cpu = []
        for n in range(args.site):
            if n:   # one feed written in between
                with psycopg.connect(url) as db:
                    db.execute("UPDATE feeds SET built_at = %s WHERE name = %s", (str(time.time()), names[0]))
            t = time.process_time()
            profile.enable()
            jobs.write_shared_pages(config, kept)
            profile.disable()
            site_cpu.append(time.process_time() - t)
        print(json.dumps({
            "sources": args.sources, "feeds": args.feeds, "config_load_cpu_s": round(load_cpu, 2),
            "dispatch_sync_cpu_s": [round(x, 2) for x in sync_cpu],
            "refresh_jobs": len(names), "refresh_cpu_ms_per_job": round(1000 * refresh_cpu / len(names), 1),
            "refresh_cpu_ms_per_fetch": round(1000 * refresh_cpu / fetched, 2),
            "again_on_full_state_cpu_ms_per_job": round(1000 * refresh2_cpu / len(names), 1),
            "again_cpu_ms_per_fetch": round(1000 * refresh2_cpu / fetched, 2),
            "of_which_render_cpu_ms_per_job": [round(1000 * sum(x) / len(names), 1) for x in (render_cpu, render2_cpu)],
            "site_jobs": args.site, "site_cpu_ms_first": round(1000 * site_cpu[0], 1),
            "site_cpu_ms_next": round(1000 * sum(site_cpu[1:]) / max(1, len(site_cpu) - 1), 1),
            "site_feeds_read": kept.reads}))
        if args.profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
    finally:
        origin.close()
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(stop, capture_output=True, check=False)
        shutil.rmtree(pg_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
