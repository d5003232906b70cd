"""Why an LLM endpoint cannot be used: refused, unknown host, TLS, or silent.

BAML reports every connection failure as ``BamlClientHttpError`` with status 503 and no
response headers, and a server that accepts a connection but never answers as nothing
at all. Instead of reading BAML's message text, ``probe`` connects to the endpoint itself
and lets the socket and TLS layers raise their own typed errors (``ConnectionRefusedError``,
``socket.gaierror``, ``ssl.SSLError``...). It sends one ``GET`` of the base URL with no
credentials: any HTTP answer at all (404, 401...) means the server is alive.

Behind an HTTP proxy (``HTTPS_PROXY`` and friends) a direct connection says nothing
about the path BAML takes, so nothing is probed there (``Probe.unknown``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

ProbeKind = Literal["alive", "refused", "dns", "tls", "connect_timeout", "unreachable", "silent", "unknown"]

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass(frozen=True)
class Probe:
    kind: ProbeKind
    detail: str = ""

    @property
    def dead(self) -> bool:
        """The endpoint cannot answer: waiting or retrying more will not help soon."""
        return self.kind not in ("alive", "unknown")

    @classmethod
    def unknown(cls) -> Probe:
        return cls("unknown")


def _behind_proxy(host: str) -> bool:
    if not any(os.environ.get(var) for var in _PROXY_VARS):
        return False
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    exempt = [h.strip().lstrip(".") for h in no_proxy.split(",") if h.strip()]
    return not any(h == "*" or host == h or host.endswith("." + h) for h in exempt)


async def probe(url: str, wait: float) -> Probe:
    """Connect to ``url``'s host, send a bare GET, and say what happened (never raises)."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host or parts.scheme not in ("http", "https"):
        return Probe.unknown()
    if _behind_proxy(host):
        return Probe.unknown()
    secure = parts.scheme == "https"
    try:
        port = parts.port or (443 if secure else 80)
    except ValueError:
        return Probe("unreachable", "the port in the URL is not valid")
    context = ssl.create_default_context() if secure else None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host if secure else None),
            wait,
        )
    except ConnectionRefusedError:
        return Probe("refused", "connection refused")
    except (socket.gaierror, UnicodeError):
        return Probe("dns", f"the host name {host} could not be resolved")
    except ssl.SSLCertVerificationError as exc:
        return Probe("tls", f"TLS certificate not accepted ({exc.verify_message})")
    except ssl.SSLError as exc:
        return Probe("tls", f"TLS handshake failed ({exc.reason or 'not a TLS server?'})")
    except TimeoutError:
        return Probe("connect_timeout", f"no connection within {wait:g} s")
    except OSError as exc:
        if secure and isinstance(exc, ConnectionError):
            return Probe("tls", "TLS handshake failed: the server closed the connection (not a TLS server?)")
        return Probe("unreachable", exc.strerror or type(exc).__name__)
    try:
        path = parts.path or "/"
        request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode("ascii", "replace"))
        await asyncio.wait_for(writer.drain(), wait)
        first = await asyncio.wait_for(reader.read(1), wait)
    except TimeoutError:
        return Probe("silent", f"it accepted the connection but sent nothing within {wait:g} s")
    except OSError as exc:
        return Probe("silent", f"it dropped the connection ({exc.strerror or type(exc).__name__})")
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 0.5)
    if not first:
        return Probe("silent", "it closed the connection without answering")
    return Probe("alive")
