"""Configuration: embedded defaults, an optional ``seedfeed.toml``, then command-line overrides.

Every default lives in :mod:`.model`, with the records a configuration is made of; :mod:`.load` reads the file
and the command line into them, resolving paths relative to the config file and rejecting unknown keys.
"""

from .load import (
    _FEED_KEYS,
    _FEED_SOURCE_KEYS,
    _SOURCE_KEYS,
    _TOP_KEYS,
    default_description,
    find_config,
    is_database_url,
    load,
    load_config,
    normalize_base_url,
    parse_interval,
)
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

__all__ = [
    "DEFAULT_ARCHIVE_SIZE", "DEFAULT_BASE_URL", "DEFAULT_CONFIG_NAME", "DEFAULT_EVERY", "DEFAULT_FEED_MAX_ENTRIES",
    "DEFAULT_FETCH_BUDGET", "DEFAULT_LISTING_MAX_NEW", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_ITEMS", "USER_AGENT",
    "_FEED_KEYS", "_FEED_SOURCE_KEYS", "_SOURCE_KEYS", "_TOP_KEYS",
    "Config", "FeedConfig", "Overrides", "WebSource",
    "default_description", "find_config", "is_database_url", "load", "load_config", "normalize_base_url",
    "parse_interval",
]
