"""SSRF policy for URLs typed by org admins: which addresses AccountLink refuses to call.

Pure functions, no I/O: the guarded HTTP client (``http.py``) resolves the host
once, asks :func:`find_refusal` about every address, and connects only to an
address that passed. Keeping the policy separate makes it easy to read and to
test exhaustively.

Why "not global" rather than a list of bad ranges: new special-purpose ranges
appear over time (``ipaddress`` tracks the IANA registries), and an address
that is not globally routable has no business being the target of an admin-typed
URL. Addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo)
are judged by the IPv4 address inside, so ``::ffff:127.0.0.1`` is loopback.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services: the classic SSRF prize, named in the message.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, Azure, GCP, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))

# inet_aton accepts hosts like 2130706433, 0x7f000001, 0177.0.0.1 and 127.1.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", re.I)


@dataclass(frozen=True)
class Refusal:
    """Why one resolved address may not be called."""

    address: IPAddress
    reason: str
    """Plain words, e.g. 'a loopback address (this machine)'."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv6 one, if the format carries one."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` is off limits for admin-typed URLs (English), or None if it is public."""
    said = blocked_reason_message(address)
    return english(said) if said else None


def blocked_reason_message(address: IPAddress) -> Message | None:
    """Why ``address`` is off limits for admin-typed URLs, as a message code, or None."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = blocked_reason_message(inner)
        return Message.of("ssrf.as_ipv6", reason=reason) if reason else None
    if address in _METADATA:
        return Message.of("ssrf.metadata")
    if address.is_loopback:
        return Message.of("ssrf.loopback")
    if address.is_unspecified:
        return Message.of("ssrf.unspecified")
    if address.is_link_local:
        return Message.of("ssrf.link_local")
    if address.is_multicast:
        return Message.of("ssrf.multicast")
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return Message.of("ssrf.cgnat")
    if address.is_reserved:
        return Message.of("ssrf.reserved")
    if address.is_private:
        return Message.of("ssrf.private")
    if not address.is_global:
        return Message.of("ssrf.not_public")
    return None


def decode_ip_literal(host: str) -> IPAddress | None:
    """The address a host written as an IP literal means, in any encoding the OS accepts.

    ``2130706433``, ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` all mean
    127.0.0.1 to the system resolver, so they must be judged as 127.0.0.1.
    """
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not _LEGACY_IPV4.fullmatch(text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def host_port(host: str, port: int) -> str:
    """``host:port`` as allowlist entries are written (IPv6 in brackets: ``[::1]:8000``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def allowlist_entry(entry: str) -> str:
    """One ``ACCOUNTLINK_ALLOWED_HOSTS`` entry in canonical form, or ValueError naming it.

    An entry allows one host on one port: allowing a whole host would also open
    every other service that listens on it (a database, an admin console, a
    metadata proxy) to URLs typed by admins. A bare host is refused rather than
    guessed at, so an operator learns this at startup instead of by a refused test.
    """
    text = entry.strip().lower()
    try:
        parts = urlsplit(f"//{text}")
        port = parts.port
    except ValueError:
        port, parts = None, None
    if (
        parts is None
        or port == 0
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or (parts.username is not None)
    ):
        raise ValueError(
            f"ACCOUNTLINK_ALLOWED_HOSTS entry '{entry.strip()}' is not host:port "
            "(for example ledger.internal:443 or [fd00::5]:8080)."
        )
    if port is None:
        raise ValueError(
            f"ACCOUNTLINK_ALLOWED_HOSTS entry '{entry.strip()}' has no port: each entry "
            f"allows one host on one port, e.g. '{entry.strip()}:443' for https."
        )
    host = parts.hostname.rstrip(".")
    literal = decode_ip_literal(host)
    return host_port(str(literal) if literal is not None else host, port)


def is_allowlisted(host: str, port: int, allowed_hosts: Collection[str]) -> bool:
    """True if the operator allowlisted this host (as typed, or the address it spells)
    on this port; the same host on any other port is not allowlisted."""
    if not allowed_hosts:
        return False
    wanted = {entry.strip().lower() for entry in allowed_hosts}
    name = host.strip().lower().strip("[]").rstrip(".")
    if host_port(name, port) in wanted:
        return True
    literal = decode_ip_literal(name)
    return literal is not None and host_port(str(literal), port) in wanted


def find_refusal(
    host: str, addresses: Iterable[IPAddress], allowed_hosts: Collection[str], *, port: int
) -> Refusal | None:
    """The first address that makes ``host`` (on ``port``) off limits, or None.

    One bad address refuses the whole host: a name that resolves to both a
    public and a private address is exactly what a rebinding attack looks like.
    """
    if is_allowlisted(host, port, allowed_hosts):
        return None
    for address in addresses:
        reason = blocked_reason(address)
        if reason:
            return Refusal(address, reason)
    return None
