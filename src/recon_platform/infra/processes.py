"""Helpers for the launchers: loopback ports, Linux /proc checks, output tails.

The process checks read /proc, so they work on Linux only.
"""

import asyncio
import concurrent.futures
import contextlib
import socket
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Final

LOOPBACK: Final = "127.0.0.1"
OUTPUT_TAIL_LINES: Final = 30


def tail_lines(text: str, count: int = OUTPUT_TAIL_LINES) -> str:
    """Return the last count lines of text."""
    return "\n".join(text.strip().splitlines()[-count:])


def tail_file(path: Path, count: int = OUTPUT_TAIL_LINES) -> str:
    """Return the last count lines of a text file, or a note if it is not readable."""
    try:
        return tail_lines(path.read_text(errors="replace"), count)
    except OSError:
        return f"({path} not readable)"


def port_is_free(port: int) -> bool:
    """Return whether a TCP server could bind the port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # OpenJDK opens server sockets with SO_REUSEADDR (sun.nio.ch.Net), so a
        # port whose only connections are in TIME_WAIT is free for a Java server.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def pick_free_ports(count: int) -> list[int]:
    """Return count distinct TCP ports on 127.0.0.1 that are free right now."""
    # Holding every socket open until all are bound keeps the ports distinct.
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            probe = stack.enter_context(socket.socket(socket.AF_INET))
            probe.bind((LOOPBACK, 0))
            ports.append(int(probe.getsockname()[1]))
    return ports


def process_is_alive(pid: int) -> bool:
    """Return whether the process exists and is neither a zombie nor dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The command name in brackets may contain spaces, so split after its end.
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def process_arguments(pid: int) -> list[bytes]:
    """Return the command line of a process, or an empty list if it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def run_in_new_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion on a new event loop in a worker thread."""
    # The worker thread has no running loop, so this also works when the calling
    # thread already runs one (for example inside asyncio.to_thread).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()
