"""The address a phone uses to reach `pa serve`, for the pairing QR code.

A phone cannot reach 127.0.0.1 (that is the phone itself), so the QR code
should carry the machine's address on the local network: given with
``--url``, or found here when the server binds to every interface.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from typing import Final
from urllib.parse import urlsplit

from pa_cli.errors import UsageError

WILDCARD_HOSTS: Final = frozenset({"0.0.0.0", "::", ""})
#: TEST-NET-1 (RFC 5737): connecting a UDP socket to it sends nothing, but picks the outgoing interface.
_PROBE_ADDRESS: Final = ("192.0.2.1", 9)


def lan_address() -> str | None:
    """This machine's IPv4 address on its local network, or None (no network, or loopback only)."""
    candidates: list[str] = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(_PROBE_ADDRESS)
        candidates.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    for address in candidates:
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified or ip.is_link_local):
            return address
    return None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def server_url(host: str, port: int) -> str:
    """The URL a device should open for a server bound to ``host``: the LAN address for a wildcard bind."""
    if host in WILDCARD_HOSTS:
        host = lan_address() or "127.0.0.1"
    return f"http://{_url_host(host)}:{port}/"


def check_url(url: str) -> str:
    """``--url`` as given, if it is an http(s) URL with a host; a usage error otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise UsageError(f"--url {url!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--url {url!r} must be an http(s) URL with a host, such as http://192.168.1.20:8765/"
        )
    return url


def points_at_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pairing_link(base_url: str, token: str) -> str:
    """The page's URL with the token in its fragment (never sent to the server in a request line)."""
    return base_url.split("#", 1)[0].rstrip("/") + "/#token=" + token
