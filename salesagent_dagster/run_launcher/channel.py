"""The zygote's pipe: one JSON object a line over a Unix socket pair, both ways.

A socket pair rather than the zygote's stdin/stdout, so that the zygote and its forked
workers keep the daemon's stdout and stderr (where a run worker's output goes today, through
the code server). JSON rather than pickle: what crosses is Dagster's own serialized values
(strings) and a few numbers, and neither side should execute what the other sends.
"""

from __future__ import annotations

import json
import socket
from typing import Any


class ChannelClosed(Exception):
    """The other end went away (its process ended) or did not answer in time."""


class Channel:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as error:
            raise ChannelClosed(str(error)) from error

    def receive(self, timeout_s: float | None) -> dict[str, Any]:
        """The next message; ChannelClosed on end of file or after `timeout_s`."""
        self.sock.settimeout(timeout_s)
        while b"\n" not in self._buffer:
            try:
                chunk = self.sock.recv(65536)
            except (TimeoutError, OSError) as error:
                raise ChannelClosed(f"no answer: {error or 'timed out'}") from error
            if not chunk:
                raise ChannelClosed("the other end closed the channel")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ChannelClosed(f"unexpected message: {line[:200]!r}")
        return message

    def has_buffered_message(self) -> bool:
        return b"\n" in self._buffer

    def close(self) -> None:
        self.sock.close()
