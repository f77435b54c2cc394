"""Loading a configuration: the embedded defaults (:mod:`.model`), an optional ``seedfeed.toml``, then
command-line overrides.

Paths are resolved relative to the config file (or the working directory when there is none). Unknown keys
are rejected with the key's name and the fix.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..filters import parse_filters
from ..records import replace
from .model import (
    DEFAULT_ARCHIVE_SIZE,
    DEFAULT_BASE_URL,
    DEFAULT_CONFIG_NAME,
    DEFAULT_EVERY,
    DEFAULT_FEED_MAX_ENTRIES,
    DEFAULT_FETCH_BUDGET,
    DEFAULT_LISTING_MAX_NEW,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ITEMS,
    USER_AGENT,
    Config,
    FeedConfig,
    Overrides,
    WebSource,
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


# ---------------------------------------------------------------------------------------------- loading

def is_database_url(value: str) -> bool:
    """``--state`` and the ``state`` key take a path or a PostgreSQL URL (``postgresql://`` or ``postgres://``)."""
    return value.startswith(("postgresql://", "postgres://"))


_FEED_KEYS = {"name", "title", "description", "link", "language", "author", "seeds", "pages", "listings",
              "max_items", "hub", "sources", "filters", "archives", "archive_size"}
_TOP_KEYS = ({"output", "state", "base_url", "max_bytes", "user_agent", "allow_private", "every", "fetch_budget",
              "feeds"}
             | (_FEED_KEYS - {"name"}))
_SOURCE_KEYS = {"url", "every", "cron", "selector", "max_new", "robots", "timezone", "filters"}
_FEED_SOURCE_KEYS = (_SOURCE_KEYS - {"url", "selector"}) | {"feed", "max_entries", "max_pages", "max_bytes"}


def _fail(where: str, message: str, hint: str) -> ConfigError:
    return ConfigError(f"{where}: {message}", hint)


def _typed(where: str, key: str, value: Any, kind: type | tuple[type, ...], example: str) -> Any:
    if isinstance(value, bool) and kind is int or not isinstance(value, kind):
        raise _fail(where, f"{key} has the wrong type ({type(value).__name__})", f"write it like {key} = {example}")
    return value


def _check_keys(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise _fail(where, f"unknown key {key!r}", f"allowed keys are: {', '.join(sorted(allowed))}")


def normalize_base_url(url: str, where: str = "--base-url") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(where, f"base_url {url!r} is not an absolute http(s) URL",
                    'give the address output/ is served at, e.g. "https://example.org/feeds/"')
    return url if url.endswith("/") else url + "/"


def parse_interval(text: str, where: str, key: str = "every") -> int:
    """``"30m"`` → 1800 seconds. Units: s, m, h, d."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not match or int(match.group(1)) == 0:
        raise _fail(where, f"{key} = {text!r} is not an interval", f'use a number and a unit, e.g. {key} = "30m"')
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _sources(where: str, kind: str, raw: Any) -> tuple[WebSource, ...]:
    if raw is None:
        return ()
    _typed(where, f"{kind}s", raw, list, f'["https://example.org/{kind}"]')
    out = []
    for i, entry in enumerate(raw):
        here = f"{where} {kind}s[{i}]"
        if isinstance(entry, str):
            entry = {"feed" if kind == "feed" else "url": entry}
        _typed(here, "entry", entry, dict, '{ url = "https://..." }')
        if kind == "feed":   # [[sources]] tables name their kind: feed = "https://example.org/feed.xml"
            here = f"{where} sources[{i}]"
            _check_keys(here, entry, _FEED_SOURCE_KEYS)
            entry = {("url" if k == "feed" else k): v for k, v in entry.items()}
        else:
            _check_keys(here, entry, _SOURCE_KEYS)
        url = _typed(here, "url" if kind != "feed" else "feed", entry.get("url"), str, '"https://example.org/"')
        if urlsplit(url).scheme not in ("http", "https"):
            raise _fail(here, f"url {url!r} is not an http(s) URL", "write the full address, starting https://")
        every = entry.get("every")
        cron = entry.get("cron")
        if every is not None:
            parse_interval(_typed(here, "every", every, str, '"30m"'), here)
        if cron is not None:
            _typed(here, "cron", cron, str, '"*/10 7-22 * * *"')
            if len(cron.split()) != 5:
                raise _fail(here, f"cron = {cron!r} needs 5 fields", 'minute hour day month weekday, e.g. "0 */2 * * *"')
        if every is not None and cron is not None:
            raise _fail(here, "both every and cron are set", "keep one of them")
        tz = _typed(here, "timezone", entry.get("timezone", "UTC"), str, '"Europe/Berlin"')
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz)
        except Exception:
            raise _fail(here, f"unknown timezone {tz!r}", 'use an IANA name such as "Europe/Berlin"') from None
        selector = entry.get("selector")
        if selector is not None and kind != "listing":
            raise _fail(here, "selector is only for listings", "move this URL to listings, or drop selector")
        out.append(WebSource(
            kind=kind, url=url, every=every, cron=cron,
            selector=_typed(here, "selector", selector, str, '"article h2 a"') if selector is not None else None,
            max_new=_typed(here, "max_new", entry.get("max_new", DEFAULT_LISTING_MAX_NEW), int, "20"),
            robots=_typed(here, "robots", entry.get("robots", True), bool, "false"),
            timezone=tz,
            max_entries=_positive(here, "max_entries", entry.get("max_entries", DEFAULT_FEED_MAX_ENTRIES)),
            max_pages=_positive(here, "max_pages", entry.get("max_pages", 1)),
            max_bytes=_positive(here, "max_bytes", entry["max_bytes"]) if "max_bytes" in entry else None,
            filters=parse_filters(f"{here} filters", entry.get("filters")),
        ))
    return tuple(out)


def _positive(where: str, key: str, value: Any) -> int:
    if _typed(where, key, value, int, "10") < 1:
        raise _fail(where, f"{key} must be at least 1", f"{key} = 10")
    return int(value)


def _feed(where: str, table: Mapping[str, Any], base: Path, defaults: Mapping[str, Any], index: int) -> FeedConfig:
    name = table.get("name", "" if index < 0 else None)
    if name is None:
        raise _fail(where, "name is missing", 'give each [[feeds]] a name = "news"; it names its output folder')
    _typed(where, "name", name, str, '"news"')
    if name and not _NAME.match(name):
        raise _fail(where, f"name {name!r} is not a folder-safe name", "use lower-case letters, digits, - and _")
    seeds_raw = table.get("seeds", defaults.get("seeds"))
    if seeds_raw is None:
        seeds_raw = [] if (table.get("pages") or table.get("listings") or table.get("sources")) else ["seeds"]
    if isinstance(seeds_raw, str):
        seeds_raw = [seeds_raw]
    _typed(where, "seeds", seeds_raw, list, '["seeds"]')
    max_items = _typed(where, "max_items", table.get("max_items", defaults.get("max_items", DEFAULT_MAX_ITEMS)),
                       int, "50")
    if max_items < 1:
        raise _fail(where, "max_items must be at least 1", "max_items = 50")

    def text(key: str, default: str | None) -> str | None:
        value = table.get(key, defaults.get(key, default))
        return None if value is None else _typed(where, key, value, str, '"..."')

    link = text("link", None)
    if link is not None:
        normalize_base_url(link, f"{where} link")
    hub = text("hub", None)
    if hub is not None and urlsplit(hub).scheme not in ("http", "https"):
        raise _fail(where, f"hub {hub!r} is not an http(s) URL", 'hub = "https://pubsubhubbub.appspot.com/"')
    title = text("title", None) or (name.replace("-", " ").title() if name else "seedfeed")
    return FeedConfig(
        name=name,
        title=title,
        description=text("description", None) or default_description(title),
        link=link,
        language=text("language", None),
        author=text("author", None),
        seeds=tuple((base / _typed(where, "seeds", s, str, '"seeds"')).resolve() for s in seeds_raw),
        pages=_sources(where, "page", table.get("pages")),
        listings=_sources(where, "listing", table.get("listings")),
        max_items=max_items,
        hub=hub,
        feed_sources=_sources(where, "feed", table.get("sources")),
        filters=parse_filters(f"{where} filters", table.get("filters", defaults.get("filters"))),
        archives=_typed(where, "archives", table.get("archives", defaults.get("archives", True)), bool, "false"),
        archive_size=_positive(where, "archive_size", table.get("archive_size",
                                                                defaults.get("archive_size", DEFAULT_ARCHIVE_SIZE))),
    )


def default_description(title: str) -> str:
    return f"{title}, published by seedfeed"


def find_config(explicit: str | None, cwd: Path) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{explicit}: no such config file", "check the path given to --config")
        return path
    candidate = cwd / DEFAULT_CONFIG_NAME
    return candidate if candidate.is_file() else None


def load(config_path: Path | None, overrides: Overrides, cwd: Path) -> Config:
    """Build the :class:`Config` for one run."""
    data: dict[str, Any] = {}
    base = cwd
    where = "command line"
    if config_path is not None:
        where = str(config_path)
        base = config_path.resolve().parent
        import tomllib  # here: without a config file nothing needs it (its import compiles a few regexes)

        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML ({exc})", "fix the syntax at the position shown") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: cannot read ({exc})", "check the file exists and is UTF-8") from None
        _check_keys(where, data, _TOP_KEYS)

    feeds_raw = data.get("feeds")
    if feeds_raw is not None:
        _typed(where, "feeds", feeds_raw, list, "[[feeds]] tables")
        for key in ("seeds", "pages", "listings", "sources", "title", "link", "hub"):
            if key in data:
                raise _fail(where, f"top-level {key!r} next to [[feeds]]", f"move {key} into each [[feeds]] table")
        defaults = {k: data[k] for k in ("language", "author", "max_items", "description", "filters", "archives",
                                         "archive_size") if k in data}
        feeds = []
        for i, table in enumerate(feeds_raw):
            here = f"{where} [[feeds]] #{i + 1}"
            _typed(here, "feeds entry", table, dict, "[[feeds]]")
            _check_keys(here, table, _FEED_KEYS)
            feeds.append(_feed(here, table, base, defaults, i))
        if not feeds:
            raise _fail(where, "feeds is empty", "add a [[feeds]] table, or remove feeds to publish ./seeds")
        names = [f.name for f in feeds]
        if len(set(names)) != len(names):
            raise _fail(where, "two feeds share a name", "give each [[feeds]] its own name")
    else:
        feeds = [_feed(where, data, base, {}, -1)]

    feeds = [_apply_feed_overrides(f, overrides, cwd, len(feeds)) for f in feeds]
    output_text = overrides.output or _typed(where, "output", data.get("output", "output"), str, '"output"')
    output = (cwd if overrides.output else base) / output_text
    state_home = config_path.resolve().parent if config_path else _first_seed_parent(feeds, cwd)
    output_url = output_text if output_text.startswith("s3://") else None
    if output_url:  # files are rendered into a local staging folder, then uploaded (seedfeed.targets.s3)
        output = state_home / ".seedfeed" / "stage" / output_url.removeprefix("s3://").strip("/")
    state_default = state_home / ".seedfeed" / "state.sqlite"
    state_url = None
    if overrides.state:
        state = cwd / overrides.state
        state_url = overrides.state if is_database_url(overrides.state) else None
    elif "state" in data:
        state = base / _typed(where, "state", data["state"], str, '".seedfeed/state.sqlite"')
        state_url = data["state"] if is_database_url(data["state"]) else None
    else:
        state = state_default
    if state_url:  # the lock file and previous/ (for `check`) stay on this machine, beside the seeds
        state = state_default
    if state.suffix == "" or state.is_dir():
        state = state / "state.sqlite"
    base_url = normalize_base_url(overrides.base_url or _typed(where, "base_url", data.get("base_url", DEFAULT_BASE_URL), str, '"https://example.org/"'),
                                  "--base-url" if overrides.base_url else f"{where} base_url")
    max_bytes = _typed(where, "max_bytes", data.get("max_bytes", DEFAULT_MAX_BYTES), int, "10485760")
    allow_private = data.get("allow_private", False) if overrides.allow_private is None else overrides.allow_private
    every = _typed(where, "every", data.get("every", DEFAULT_EVERY), str, '"1h"')
    parse_interval(every, f"{where} every")
    if overrides.fetch_budget is not None:
        if overrides.fetch_budget <= 0:
            raise ConfigError("--fetch-budget must be more than 0 seconds", "e.g. --fetch-budget 90")
        fetch_budget = float(overrides.fetch_budget)
    else:
        budget = _typed(where, "fetch_budget", data.get("fetch_budget", DEFAULT_FETCH_BUDGET), str, '"90s"')
        fetch_budget = float(parse_interval(budget, where, "fetch_budget"))
    output = output.resolve()
    state = state.resolve()
    if state.parent == output or output in state.parents:
        raise _fail(where, f"state {state} is inside the output folder", "keep state outside output/, e.g. .seedfeed/")
    return Config(
        feeds=tuple(feeds), output=output, state=state, base_url=base_url, max_bytes=max_bytes,
        user_agent=_typed(where, "user_agent", data.get("user_agent", USER_AGENT), str, '"mybot/1.0"'),
        allow_private=_typed(where, "allow_private", allow_private, bool, "true"),
        state_url=state_url, output_url=output_url,
        default_every=every, source_file=config_path.resolve() if config_path else None, fetch_budget=fetch_budget,
        base_url_default=not overrides.base_url and "base_url" not in data,
    )


def _first_seed_parent(feeds: list[FeedConfig], cwd: Path) -> Path:
    for feed in feeds:
        if feed.seeds:
            return feed.seeds[0].parent
    return cwd


def _apply_feed_overrides(feed: FeedConfig, o: Overrides, cwd: Path, n_feeds: int) -> FeedConfig:
    changes: dict[str, Any] = {}
    if o.seeds:
        changes["seeds"] = tuple((cwd / s).resolve() for s in o.seeds)
    if o.title and n_feeds == 1:
        changes["title"] = o.title
        if feed.description == default_description(feed.title):  # not written by anyone: follow the new title
            changes["description"] = default_description(o.title)
    if o.max_items is not None:
        if o.max_items < 1:
            raise ConfigError("--max-items must be at least 1", "e.g. --max-items 50")
        changes["max_items"] = o.max_items
    if o.urls and n_feeds == 1:
        changes["pages"] = feed.pages + _sources("--url", "page", o.urls)
    if o.listings and n_feeds == 1:
        changes["listings"] = feed.listings + _sources("--listing", "listing", o.listings)
    if o.feed_urls and n_feeds == 1:
        changes["feed_sources"] = feed.feed_sources + _sources("--feed", "feed", o.feed_urls)
    if (o.urls or o.listings or o.feed_urls or o.title) and n_feeds > 1:
        raise ConfigError("--url, --listing, --feed and --title need a config with a single feed",
                          "add the URL to one [[feeds]] table in the config instead")
    # --url alone publishes just the URLs, unless there is a ./seeds to publish too
    default_seeds = feed.seeds == ((cwd / "seeds").resolve(),)
    if (o.urls or o.listings or o.feed_urls) and not o.seeds and default_seeds and not (cwd / "seeds").is_dir():
        changes["seeds"] = ()
    return replace(feed, **changes) if changes else feed


def load_config(args: argparse.Namespace) -> Config:
    """The configuration a command runs with: ``--config`` (or ./seedfeed.toml) plus the options it was given.

    Every command passes its parsed arguments; options a command does not have are simply absent."""
    cwd = Path.cwd()
    overrides = Overrides(
        seeds=getattr(args, "seeds", None), output=getattr(args, "output", None), state=getattr(args, "state", None),
        base_url=getattr(args, "base_url", None), title=getattr(args, "title", None),
        max_items=getattr(args, "max_items", None), urls=getattr(args, "url", None) or [],
        listings=getattr(args, "listing", None) or [], feed_urls=getattr(args, "feed", None) or [],
        allow_private=getattr(args, "allow_private", None), fetch_budget=getattr(args, "fetch_budget", None))
    return load(find_config(getattr(args, "config", None), cwd), overrides, cwd)
