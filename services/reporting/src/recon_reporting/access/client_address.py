"""Resolving the client address of a request behind zero or more proxies.

The direct peer is the client unless it is a trusted proxy. Then the
`X-Forwarded-For` chain is read from right to left, because each proxy appends the
address it received from, and the first address that is not a trusted proxy is the
client. Addresses left of it were written by the client itself and cannot be trusted.
"""

import ipaddress
from collections.abc import Iterable, Sequence

from recon_reporting.settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnresolvableClient(ValueError):
    """A request whose client address is missing or malformed."""


def in_networks(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """Return whether `address` is inside any of `networks`."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _parse(text: str) -> IPAddress:
    candidate = text.strip()
    # A proxy may write an IPv6 address in brackets, with or without a port.
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1 : candidate.index("]")]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        raise UnresolvableClient(f"invalid address {text.strip()!r}") from None


def resolve_client(
    peer: str | None,
    forwarded_for: Sequence[str],
    *,
    trusted_proxies: Sequence[IPNetwork],
) -> IPAddress:
    """Return the client address of a request from `peer` with these headers."""
    if peer is None:
        raise UnresolvableClient("the connection has no peer address")
    address = _parse(peer)
    if not in_networks(address, trusted_proxies):
        return address
    chain = [item for header in forwarded_for for item in header.split(",")]
    chain = [item for item in chain if item.strip()]
    for item in reversed(chain):
        address = _parse(item)
        if not in_networks(address, trusted_proxies):
            return address
    # Every hop is a trusted proxy: the left-most one is the nearest to the client.
    return address
