"""A TCP proxy that cuts a connection in the middle of what goes through it: a network drop, not a stopped process.

The component under test is pointed at :attr:`CuttingProxy.port` instead of the real server's (PostgreSQL,
an SMTP server, a CalDAV server, an OpenID provider); every connection is passed through byte for byte until
the test arms a cut with :meth:`CuttingProxy.cut_when`: the next time ``pattern`` goes through in the
direction asked (from the client, or from the server back), the proxy passes only ``keep`` bytes of it on
and then closes both sides of that one connection. The server never sees the rest (e.g. an SMTP message
without its final "."), the client never gets an answer (or half of one). Later connections go through
again, so the component can carry on without a restart. One cut per arming; :attr:`cuts` counts them.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class CuttingProxy:
    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        self._armed: tuple[bytes, bool, int] | None = None
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_when(self, pattern: bytes, *, from_server: bool = False, keep: int = 0) -> None:
        """Cut the connection through which ``pattern`` next passes, after ``keep`` bytes of it."""
        with self._lock:
            self._armed = (pattern, from_server, keep)

    def close(self) -> None:
        self.listener.close()
        for sock in list(self._open):
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self._open.update((client, server))
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        tail = b""
        try:
            while data := source.recv(65536):
                cut_at = self._cut_at(tail + data, from_server)
                if cut_at is not None:
                    sink.sendall(data[:max(0, cut_at - len(tail))])
                    break
                sink.sendall(data)
                tail = data[-64:]
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
            self._open.discard(sock)

    def _cut_at(self, window: bytes, from_server: bool) -> int | None:
        with self._lock:
            if self._armed is None or self._armed[1] != from_server:
                return None
            pattern, _, keep = self._armed
            found = window.find(pattern)
            if found < 0:
                return None
            self._armed = None
            self.cuts += 1
            return found + keep
