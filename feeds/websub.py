"""WebSub (W3C Recommendation) publisher pings: tell a feed's hub that the feed changed.

A ping is ``POST hub`` with ``hub.mode=publish`` and ``hub.url=<topic>`` for each of the feed's topics
(RSS, Atom, JSON Feed). It is retried with backoff; a failing hub is logged and never blocks publishing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .config import Config, FeedConfig
from .render.base import ATOM_FILE, JSON_FILE, RSS_FILE

log = logging.getLogger(__name__)
TRIES = 4
BACKOFF = 2.0   # seconds; doubles each try


def topics(config: Config, feed: FeedConfig) -> list[str]:
    base = config.feed_base_url(feed)
    return [base + RSS_FILE, base + ATOM_FILE, base + JSON_FILE]


def ping(hub: str, urls: list[str], user_agent: str, *, tries: int = TRIES, backoff: float = BACKOFF,
         sleep: Callable[[float], None] = time.sleep) -> bool:
    """Ping ``hub`` once per topic; True when the hub accepted every one (2xx)."""
    import requests

    ok = True
    with requests.Session() as session:
        session.headers["User-Agent"] = user_agent
        for url in urls:
            for attempt in range(tries):
                try:
                    response = session.post(hub, data={"hub.mode": "publish", "hub.url": url}, timeout=(5, 10),
                                            allow_redirects=False)
                    if 200 <= response.status_code < 300:
                        break
                    reason = f"hub answered {response.status_code}"
                except requests.RequestException as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < tries:
                    sleep(backoff * 2 ** attempt)
            else:
                log.warning("websub: %s did not accept the ping for %s after %d tries (%s); readers will see the "
                            "change at their next poll", hub, url, tries, reason)
                ok = False
    return ok


def ping_in_background(hub: str, config: Config, feed: FeedConfig) -> threading.Thread:
    thread = threading.Thread(target=ping, args=(hub, topics(config, feed), config.user_agent),
                              name=f"websub-{feed.name}", daemon=True)
    thread.start()
    return thread
