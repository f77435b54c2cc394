"""SSRF guard: refuse to connect to addresses that are not on the public internet.

A feed publisher fetches URLs that come from config files and from redirects chosen by remote servers. Without
a guard, ``http://169.254.169.254/`` (cloud metadata), ``http://localhost:6379/`` or a redirect to
``http://10.0.0.1/admin`` would be fetched from inside the network the publisher runs in.

How it works:

* :func:`check_url` is a cheap pre-flight check (scheme is http/https, a literal IP address is allowed). The
  fetcher calls it for the first URL and for every redirect hop, before anything is sent.
* :class:`GuardedAdapter` is a ``requests`` adapter whose urllib3 connections resolve the host name
  themselves, check **every** address it resolves to, and then connect to exactly the checked address. There
  is no second DNS lookup, so there is no DNS-rebinding window. The ``Host`` header, TLS SNI and the
  certificate check still use the host name, because urllib3 keeps using ``conn.host`` for those; only the
  socket's peer address is pinned.
* A host that resolves to several addresses is refused if *any* of them is blocked (a public name that
  also points into a private range is a rebinding trick, not a real site).

``allow_private=True`` turns the guard off (for sources on your own network). ``allowed_networks`` lets
specific networks through while keeping the rest of the guard (tests use it to reach 127.0.0.1 only).

Proxies from the environment are not used by the fetcher (``trust_env=False``): a proxy would resolve and
connect on our behalf and defeat the pinning.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from ..records import field, record

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# (network, what a person should read). Order matters only for the label: the first match wins.
_BLOCKED: list[tuple[IPNetwork, str]] = [
    (ipaddress.ip_network(net), label)
    for net, label in [
        ("0.0.0.0/8", "an unspecified ('this network') address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.169.254/32", "the cloud metadata address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/96", "an IPv4-compatible address"),
        ("64:ff9b:1::/48", "a local NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/23", "an IETF protocol address"),
        ("2001:db8::/32", "a documentation address"),
        ("fc00::/7", "a private (unique local) address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
    ]
]
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")      # IPv4-mapped: ::ffff:10.0.0.1
_NAT64 = ipaddress.ip_network("64:ff9b::/96")         # well-known NAT64 prefix embeds an IPv4 address
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")      # 6to4 embeds an IPv4 address in bits 16..48


class BlockedAddressError(Exception):
    """The URL points at (or resolves to) an address the guard refuses. Raised before any packet is sent."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host} {reason}")
        self.host = host
        self.reason = reason


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _MAPPED or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress, allowed_networks: Iterable[IPNetwork] = ()) -> str | None:
    """Why ``ip`` must not be contacted ("a private address (10.0.0.0/8)"), or None when it is public."""
    for net in allowed_networks:
        if ip.version == net.version and ip in net:
            return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner, allowed_networks)
            return f"{problem} embedded in IPv6 {ip}" if problem else None
    for net, label in _BLOCKED:
        if ip.version == net.version and ip in net:
            return f"{label} ({net})"
    if not ip.is_global:  # anything else Python knows is not globally reachable
        return "not a public internet address"
    return None


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@record
class Guard:
    """What may be contacted. ``resolver`` is ``socket.getaddrinfo``-compatible (tests replace it)."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    resolver: Callable[..., list] = field(default=socket.getaddrinfo, compare=False)

    @classmethod
    def build(cls, allow_private: bool = False, allowed_networks: Iterable[str] = (),
              resolver: Callable[..., list] | None = None) -> Guard:
        nets = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        return cls(allow_private, nets, resolver or socket.getaddrinfo)

    def check_ip(self, host: str, ip: IPAddress) -> None:
        if self.allow_private:
            return
        problem = address_problem(ip, self.allowed_networks)
        if problem:
            raise BlockedAddressError(host, f"is {problem}")

    def resolve(self, host: str, port: int) -> list[tuple]:
        """Resolve ``host`` and check every address. Returns getaddrinfo tuples that are safe to connect to."""
        host = host.strip("[]").rstrip(".")
        literal = _parse_ip(host)
        if literal is not None:
            self.check_ip(host, literal)
        infos = self.resolver(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no addresses")
        if not self.allow_private:
            for info in infos:
                ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
                problem = address_problem(ip, self.allowed_networks)
                if problem:
                    if literal is not None:
                        raise BlockedAddressError(host, f"is {problem}")
                    raise BlockedAddressError(host, f"resolves to {ip}, which is {problem}")
        return infos


_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.I)


def check_url(url: str, guard: Guard) -> None:
    """Pre-flight check without DNS: scheme is http/https, there is a host, a literal IP is allowed."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise BlockedAddressError(url, f"uses the {parts.scheme or 'missing'}: scheme; only http and https "
                                       "are fetched")
    host = parts.hostname
    if not host:
        raise BlockedAddressError(url, "has no host name")
    ip = _parse_ip(host)
    if ip is None and _NUMERIC_HOST.fullmatch(host):
        # "http://2130706433/", "http://0x7f.1/" and "http://127.1/" are loopback to many resolvers.
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            ip = None
    if ip is not None:
        guard.check_ip(host, ip)


# --- connections pinned to the checked address -------------------------------------------------------------

_local = threading.local()


@contextlib.contextmanager
def watch_connections(callback: Callable[[HTTPConnection, socket.socket | None], None]) -> Iterator[None]:
    """Call ``callback(conn, sock)`` for every connection this thread sends a request on, inside the block:
    when the request is sent (``sock`` is the connection's socket, ``None`` before it connects) and again as
    soon as a new socket is connected.

    The fetcher uses it to find the socket to shut down when a request's total deadline passes. It needs the
    socket itself: after a ``Connection: close`` answer, http.client drops ``conn.sock`` while the response
    goes on reading from that very socket.
    """
    previous = getattr(_local, "observer", None)
    _local.observer = callback
    try:
        yield
    finally:
        _local.observer = previous


def _observe(conn: HTTPConnection, sock: socket.socket | None = None) -> None:
    observer = getattr(_local, "observer", None)
    if observer is not None:
        observer(conn, sock)


class _GuardedMixin:
    guard: Guard   # set on the per-adapter subclass

    def _new_conn(self) -> socket.socket:
        _observe(self)   # HTTPS connects (and handshakes) before request() is called
        host = self._dns_host  # type: ignore[attr-defined]
        try:
            infos = self.guard.resolve(host, self.port)  # type: ignore[attr-defined]
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e  # type: ignore[attr-defined,arg-type]
        err: OSError | None = None
        timeout = self.timeout  # type: ignore[attr-defined]
        for family, socktype, proto, _canon, sockaddr in infos:
            sock = None
            try:
                sock = socket.socket(family, socktype, proto)
                for opt in self.socket_options or ():  # type: ignore[attr-defined]
                    sock.setsockopt(*opt)
                if isinstance(timeout, int | float) or timeout is None:
                    sock.settimeout(timeout)
                _observe(self, sock)     # from now on the deadline can shut it down (a stalled connect too)
                sock.connect(sockaddr)   # the address that was checked, never a fresh lookup
                sys.audit("http.client.connect", self, self.host, self.port)  # type: ignore[attr-defined]
                return sock
            except TimeoutError as e:
                if sock is not None:
                    sock.close()
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={timeout})"  # type: ignore
                ) from e
            except OSError as e:
                err = e
                if sock is not None:
                    sock.close()
        raise NewConnectionError(self, f"Failed to establish a new connection: {err}")  # type: ignore[arg-type]

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _observe(self, getattr(self, "sock", None))
        return super().request(*args, **kwargs)  # type: ignore[misc]


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections go only to addresses ``guard`` accepts."""

    def __init__(self, guard: Guard, **kwargs) -> None:  # type: ignore[no-untyped-def]
        conn_attrs = {"guard": guard}
        http_conn = type("GuardedHTTPConnection", (_GuardedMixin, HTTPConnection), conn_attrs)
        https_conn = type("GuardedHTTPSConnection", (_GuardedMixin, HTTPSConnection), conn_attrs)
        self._pool_classes = {
            "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }
        self.guard = guard
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[no-untyped-def]
        raise BlockedAddressError(str(proxy), "is a proxy; the guarded fetcher does not use proxies")
