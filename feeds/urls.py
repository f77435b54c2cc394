"""URL normalisation: one identity key per web page, however the link to it was written.

:func:`normalize_url` rules, in order:

* Only absolute http/https URLs; anything else is a ``ValueError``.
* ``http`` and ``https`` are the same page: the key always uses ``https``.
* Scheme and host are lower-cased; an internationalised host name becomes punycode (IDNA 2008 / UTS 46 via the
  ``idna`` package, the standard library's IDNA 2003 as a fallback); a trailing dot is dropped; IPv6 addresses
  are written in their compressed form.
* ``www.`` is **kept**: ``www.example.com`` and ``example.com`` are usually the same site but not always
  (different servers, different content), and merging two distinct pages is worse than listing one twice.
* User name and password are dropped (they are credentials, not part of the page's identity).
* The default port of the URL's own scheme (80 for http, 443 for https) is dropped, and so is 443 whatever
  the scheme (the key says https, and a key must normalise to itself).
* Path: percent-encoding normalised (escapes of unreserved characters decoded, other escapes upper-cased,
  characters that must be escaped -- spaces, non-ASCII -- escaped as UTF-8), ``.``/``..`` segments resolved,
  runs of ``/`` collapsed, the trailing ``/`` removed except for the root path ``/``.
* Query: tracking parameters dropped (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``ref`` ... see
  :data:`TRACKING_PARAMS`); the rest percent-normalised like the path and sorted by name (stable, so the order
  of repeated names is kept); ``+`` is left alone (it may mean a space or a plus); an empty query is dropped.
* The fragment is dropped.

The key is for identity only: fetch the URL as it was found, not the key (the key may say https for a page
that only speaks http).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
    "li_fat_id", "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "_ga", "_gl", "_hsenc", "_hsmi",
    "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "s_cid",
    "wt.mc_id", "spm", "scid", "trk", "trkcampaign", "__s", "ncid", "sr_share",
})
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "at_medium", "at_campaign")

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "-._~!$&'()*+,;=:@/"
_QUERY_PART_SAFE = "-._~!$'()*+,;:@/?"      # no & and = : they separate parameters
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _pct(text: str, safe: str) -> str:
    """Normalise percent-encoding: escape what must be, decode escaped unreserved characters, upper-case hex."""
    text = _BAD_PERCENT.sub("%25", text)
    text = quote(text, safe=safe + "%")

    def fix(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else "%" + m.group(1).upper()

    return _ESCAPE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    result = "/".join(out)
    if path.endswith(("/.", "/..")):
        result += "/"
    return result if result.startswith("/") else "/" + result


def _host(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    if not host:
        raise ValueError("no host name")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return f"[{ip.compressed}]" if ip.version == 6 else str(ip)
    if host.isascii():
        return host
    try:
        import idna  # IDNA 2008 + UTS 46; installed with requests

        return idna.encode(host, uts46=True).decode("ascii")
    except (ImportError, UnicodeError):   # idna.IDNAError is a UnicodeError
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise ValueError(f"invalid international host name {hostname!r}") from e


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalize_url(url: str) -> str:
    """The identity key of ``url`` (see the module docstring for the rules). Raises ``ValueError``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if not parts.hostname:
        raise ValueError(f"no host name in {url!r}")
    host = _host(parts.hostname)
    port = parts.port    # ValueError for a bad port
    # the key says https, so 443 is its default port whatever the original scheme was
    netloc = host if port is None or port in (_DEFAULT_PORTS[scheme], 443) else f"{host}:{port}"

    path = _remove_dot_segments(_pct(parts.path or "/", _PATH_SAFE))
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"

    params = []
    for piece in parts.query.split("&"):
        if not piece:
            continue
        name, eq, value = piece.partition("=")
        name = _pct(name, _QUERY_PART_SAFE)
        if _is_tracking(name):
            continue
        params.append((name, eq, _pct(value, _QUERY_PART_SAFE)))
    params.sort(key=lambda p: p[0])
    query = "&".join(name + eq + value for name, eq, value in params)
    return f"https://{netloc}{path}" + (f"?{query}" if query else "")
