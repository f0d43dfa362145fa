"""Who may use the server: one set of credentials for the API and the UI alike.

API keys and logins (USER:PASSWORD) are interchangeable: the API accepts a key
(`Authorization: Bearer KEY` or `X-API-Key: KEY`) or a login (HTTP Basic); the
UI's login form accepts a login, or any user name with a key as the password.
So there is no configuration in which one surface is open and the other closed."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import socket
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    keys: tuple[str, ...] = ()
    logins: tuple[tuple[str, str], ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.keys or self.logins)

    def login(self, user: str, password: str) -> bool:
        """The UI's login form: a configured login, or a key as the password."""
        if any(_same(user, u) & _same(password, p) for u, p in self.logins):
            return True
        return _matches(password, self.keys)

    def request(self, headers) -> bool:
        """An API request's Authorization / X-API-Key headers."""
        header = headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer":
            return _matches(value, self.keys)
        if scheme == "basic":
            user, password = _basic(value)
            return password is not None and self.login(user, password)
        return _matches(headers.get("x-api-key"), self.keys)

    def to_dict(self) -> dict:
        return {"keys": list(self.keys), "logins": [list(pair) for pair in self.logins]}

    @classmethod
    def from_dict(cls, data: dict) -> "Credentials":
        return cls(tuple(data.get("keys", ())), tuple(tuple(pair) for pair in data.get("logins", ())))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _matches(given: str | None, keys) -> bool:
    """Constant-time comparison against every configured key."""
    if not given:
        return False
    return any([_same(given, key) for key in keys])  # a list: no early exit


def _basic(value: str) -> tuple[str, str | None]:
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", None
    return user, password if sep else None


# ------------------------------------------------------------------ addresses


def is_loopback(host: str) -> bool:
    """True when every address `host` names is a loopback address. Parsed, not
    compared as text: `localhost.anything.invalid` or `::1.2.3.4` are not
    loopback, and a name that does not resolve is not either."""
    host = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError, OSError):
        return False
    addresses = {info[4][0].split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Exposure:
    """What a bind address reaches, and which Host names requests may carry."""

    host: str
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    loopback: bool = field(init=False, default=True)

    def __post_init__(self):
        object.__setattr__(self, "loopback", is_loopback(self.host))

    def host_names(self) -> set[str] | None:
        """Host header names accepted (lower case, no port); None = any.

        A loopback bind answers loopback names (and --allowed-host ones) only,
        which is what defeats DNS rebinding. A public bind without
        --allowed-host answers any name, as Jupyter does: it has credentials
        (or an explicit --no-auth), which a rebinding page cannot present, and
        the names a LAN reaches this machine by cannot be known without
        resolving them. With --allowed-host, only those and loopback names."""
        if "*" in self.allowed_hosts or (not self.loopback and not self.allowed_hosts):
            return None
        names = set(LOOPBACK_NAMES) | {h.lower().strip("[]") for h in self.allowed_hosts}
        return names | {self.host.lower().strip("[]")}
