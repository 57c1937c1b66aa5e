"""A TCP proxy that cuts a connection in the middle of what goes through it: a network drop, not a stopped process.

The component under test is pointed at :attr:`CuttingProxy.port` instead of the real server's (PostgreSQL,
an SMTP server, a CalDAV server, an OpenID provider); every connection is passed through byte for byte until
the test arms a cut with :meth:`CuttingProxy.cut_when`: the ``nth`` time from then on that ``pattern`` goes
through in the direction asked (from the client, or from the server back), the proxy passes only ``keep``
bytes of it on and then closes both sides of that one connection. The server never sees the rest (e.g. an SMTP message
without its final "."), the client never gets an answer (or half of one). Later connections go through
again, so the component can carry on without a restart. One cut per arming; :attr:`cuts` counts them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import sqlalchemy as sa


class CuttingProxy:
    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        self._armed: list | None = None   # [pattern, from_server, keep, occurrences still to pass]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_when(self, pattern: bytes, *, from_server: bool = False, keep: int = 0, nth: int = 1) -> None:
        """Cut the connection through which ``pattern`` passes the ``nth`` time, after ``keep`` bytes of it."""
        with self._lock:
            self._armed = [pattern, from_server, keep, nth]

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
                cut_at = self._cut_at(tail, data, from_server)
                if cut_at is not None:
                    sink.sendall(data[:max(0, cut_at)])
                    break
                sink.sendall(data)
                tail = (tail + data)[-256:]
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
            self._open.discard(sock)

    def _cut_at(self, tail: bytes, data: bytes, from_server: bool) -> int | None:
        """Where in ``data`` to cut, if the armed pattern passes its ``nth`` time in it (it may begin in
        ``tail``, what went before)."""
        with self._lock:
            if self._armed is None or self._armed[1] != from_server:
                return None
            pattern, _, keep, _ = self._armed
            before = tail[-(len(pattern) - 1):] if len(pattern) > 1 else b""
            window, found = before + data, -1
            while (found := window.find(pattern, found + 1)) >= 0:
                self._armed[3] -= 1
                if self._armed[3] == 0:
                    self._armed = None
                    self.cuts += 1
                    return found + keep - len(before)
            return None


@contextlib.contextmanager
def database_cutter(database_url: str) -> Iterator[CuttingProxy]:
    """A proxy in front of ``database_url``'s PostgreSQL server; its ``url`` is the same database through it."""
    url = sa.engine.make_url(database_url)
    cutter = CuttingProxy(url.host, url.port or 5432)
    cutter.url = url.set(host="127.0.0.1", port=cutter.port).render_as_string(False)
    try:
        yield cutter
    finally:
        cutter.close()
