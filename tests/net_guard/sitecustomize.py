"""The privacy tests' in-process guard, loaded by every Python process they start (this folder is on
PYTHONPATH, so parser workers and the engine process, started with multiprocessing's spawn, load it
too). Each name lookup and socket destination asked of Python's socket module is written to
$ARCHIVIST_NET_LOG; those that would leave the machine are refused. Native code does not pass
through here: netguard.c (LD_PRELOAD) covers it. Lines:

    <pid> python start <argv>
    <pid> python allow|deny <call> <destination>
"""

import ipaddress
import os
import socket
import sys

LOG = os.environ.get("ARCHIVIST_NET_LOG")


def _record(*words) -> None:
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(" ".join([str(os.getpid()), "python", *map(str, words)]) + "\n")


def _local_name(host) -> bool:
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host.lower() == "localhost" or host.lower().endswith(".localhost") or host == "":
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False  # a name that needs DNS
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or address.is_unspecified or bool(mapped and mapped.is_loopback)


def _local_address(family, address) -> bool:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return True  # Unix sockets, netlink: this machine
    return _local_name(address[0])


def _guard_lookup(name, original):
    def lookup(host, *args, **kwargs):
        if not _local_name(host):
            _record("deny", name, host)
            raise socket.gaierror(socket.EAI_NONAME, f"privacy test: lookup of {host!r} refused")
        return original(host, *args, **kwargs)

    return lookup


def _guard_send(name, original, address_of):
    def call(sock, *args):
        address = address_of(args)
        if address is not None and not _local_address(sock.family, address):
            _record("deny", name, address)
            raise OSError(101, f"privacy test: {name} to {address!r} refused")  # ENETUNREACH
        if address is not None and sock.family != socket.AF_UNIX:
            _record("allow", name, address)
        return original(sock, *args)

    return call


if LOG:
    _record("start", " ".join(getattr(sys, "orig_argv", sys.argv)).replace("\n", " "))
    for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        setattr(socket, _name, _guard_lookup(_name, getattr(socket, _name)))
    for _name in ("connect", "connect_ex"):
        setattr(socket.socket, _name, _guard_send(_name, getattr(socket.socket, _name), lambda args: args[0]))
    # sendto(data[, flags], address)
    socket.socket.sendto = _guard_send("sendto", socket.socket.sendto, lambda args: args[-1] if len(args) > 1 else None)
