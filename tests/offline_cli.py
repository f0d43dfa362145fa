"""Run the `assistant` CLI with every non-loopback network connection refused and
recorded (in $BLOCKED_LOG), to prove the product makes none at run time."""

import os
import socket
import sys

LOG = os.environ.get("BLOCKED_LOG", "blocked.log")
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")


def _local(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return not isinstance(host, str) or host.startswith(_LOCAL) or host == ""


def _record(what: str) -> None:
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(what + "\n")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address):
        _record(f"connect {address}")
        raise OSError("network blocked by test")
    return _connect(self, address)


def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address):
        _record(f"connect {address}")
        return 111
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and not host.startswith(_LOCAL) and host not in ("", None):
        _record(f"resolve {host}")
        raise socket.gaierror("name resolution blocked by test")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

if __name__ == "__main__":
    from assistant.cli import main

    sys.exit(main(sys.argv[1:]))
