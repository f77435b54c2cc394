"""``seedfeed extract SOURCE [--url URL]``: print, as JSON, everything extracted from one web page."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..config import USER_AGENT
from ..errors import ConfigError, DocumentError
from ..sources.decode import decode


def run_extract(args: argparse.Namespace) -> int:
    from ..extraction.page import extract_page, page_to_json

    try:
        tz = ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"--timezone {args.timezone!r} is not a time zone", 'use an IANA name, e.g. "Europe/Berlin"') from None
    source: str = args.source
    warnings: list[str] = []
    if source.startswith(("http://", "https://")):
        from ..fetch.fetcher import Fetcher, FetchPolicy

        with Fetcher(FetchPolicy(user_agent=USER_AGENT, allow_private=args.allow_private)) as fetcher:
            answer = fetcher.fetch(source)
        decoded = decode(answer.body, answer.charset, html=True)
        url = args.url or answer.final_url
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"{source}: cannot read ({exc.strerror})",
                                "give a URL or the path of a saved HTML file") from None
        if path.suffix == ".gz":
            import gzip

            data = gzip.decompress(data)
        try:
            decoded = decode(data, None, html=True)
        except ValueError as exc:
            raise DocumentError(f"{source}: {exc}", "give a saved HTML page") from None
        url = args.url
    if decoded.warning:
        warnings.append(decoded.warning)
    page = extract_page(decoded.text, url, default_tz=tz)
    out = page_to_json(page)
    if warnings:
        out["warnings"] = warnings
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
