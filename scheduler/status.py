"""``seedfeed status``: what the state says about each feed and source, for people and for monitoring.

Exit status 1 when a source has been failing for longer than ``--max-periods`` of its periods. A source the last
run's fetch budget did not reach is shown as deferred (next run: "deferred"); that is not a failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import schedules
from ..config import Config
from ..sources.web import source_key


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return f"{_span(seconds)} ago"


def _span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def collect(config: Config, now: datetime, max_periods: int = 3) -> tuple[list[dict[str, Any]], list[str]]:
    from ..state.backends import peek_store

    store = peek_store(config)
    stored = {(s.feed, s.url): s for s in store.sources()} if store else {}
    rows: list[dict[str, Any]] = []
    alarms: list[str] = []
    try:
        for feed in config.feeds:
            name = feed.name or "(default)"
            items = store.count_live(feed.name) if store else 0
            built = store.built_at(feed.name) if store else None
            rows.append({"feed": name, "kind": "seeds", "source": ", ".join(str(s) for s in feed.seeds) or "-",
                         "schedule": "on change", "last_success": built.isoformat() if built else None,
                         "last_error": None, "next_run": None, "items": items, "http_status": None})
            for source in feed.web_sources:
                state = stored.get((feed.name, source_key(source.url)))
                period = schedules.interval_seconds(source, config) or schedules.shortest_period([source], config, now) or 3600
                last_run = state.last_run if state else None
                children = (sum(1 for s in stored.values() if s.parent == source_key(source.url))
                            if source.kind in ("listing", "feed") else None)
                row = {
                    "feed": name, "kind": source.kind, "source": source.url,
                    "schedule": f"cron {source.cron}" if source.cron else f"every {source.every or config.default_every}",
                    "last_success": state.last_success.isoformat() if state and state.last_success else None,
                    "last_error": state.last_error if state else None,
                    "next_run": schedules.next_run(source, config, last_run, now).isoformat(),
                    "items": children if children is not None else (1 if state and state.last_success else 0),
                    "http_status": state.last_status if state else None,
                    "deferred_since": state.deferred_since.isoformat() if state and state.deferred_since else None,
                }
                if source.kind == "listing":   # its articles the budget did not reach
                    row["deferred_articles"] = sum(1 for s in stored.values()
                                                   if s.parent == source_key(source.url) and s.deferred_since)
                rows.append(row)
                if state and state.failing_since and now - state.failing_since > timedelta(seconds=period * max_periods):
                    alarms.append(f"{source.url}: failing since {state.failing_since.isoformat()} ({state.last_error})")
    finally:
        if store:
            store.close()
    return rows, alarms



def run_status(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..state.backends import database_errors

    config = load_config(args)
    now = datetime.now(UTC)
    with database_errors(config.state_url):
        rows, alarms = collect(config, now, args.max_periods)
    if args.json:
        json.dump({"feeds": rows, "alarms": alarms}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        headers = ["feed", "kind", "source", "schedule", "last success", "last error", "next run", "items", "http"]
        table = [[r["feed"], r["kind"], r["source"], r["schedule"],
                  _ago(datetime.fromisoformat(r["last_success"]), now) if r["last_success"] else "never",
                  (r["last_error"] or "-")[:60], _next_run(r, now), str(r["items"]), str(r["http_status"] or "-")]
                 for r in rows]
        widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(headers)]
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        for row in table:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        deferred = sum(1 for r in rows if r.get("deferred_since")) + sum(r.get("deferred_articles", 0) for r in rows)
        if deferred:
            print(f"{deferred} source{'s' if deferred != 1 else ''} deferred: the last run's fetch budget ran out "
                  "before reaching them; the next run fetches them first")
        for alarm in alarms:
            print(f"ALARM {alarm}", file=sys.stderr)
    return 1 if alarms else 0


def _next_run(row: dict[str, Any], now: datetime) -> str:
    if row.get("deferred_since"):
        return "deferred"
    text = _ago(datetime.fromisoformat(row["next_run"]), now) if row["next_run"] else "-"
    if row.get("deferred_articles"):
        text += f" ({row['deferred_articles']} articles deferred)"
    return text
