"""A tiny TCP proxy in front of a plain-http sim that can lose one reply on purpose.

``LosingProxy(upstream_port, lose=b"POST /api/v1/namespaces/default/pods ")``
forwards everything; the first request whose bytes start with ``lose`` is
delivered to the server, but its reply is thrown away and the client's
connection is closed: exactly "the create happened, the answer was lost".
"""

from __future__ import annotations

import socket
import threading


class LosingProxy:
    def __init__(self, upstream_port: int, lose: bytes) -> None:
        self.upstream_port = upstream_port
        self.lose = lose
        self.lost = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        dropping = threading.Event()

        def down() -> None:  # upstream -> client
            try:
                while data := upstream.recv(65536):
                    if dropping.is_set():
                        # The reply never arrives: shutdown sends FIN and wakes the reader.
                        client.shutdown(socket.SHUT_RDWR)
                        self.lost.set()
                        return
                    client.sendall(data)
            except OSError:
                pass
            finally:
                client.close()

        threading.Thread(target=down, daemon=True).start()
        try:
            while data := client.recv(65536):
                if not self.lost.is_set() and not dropping.is_set() and data.startswith(self.lose):
                    dropping.set()
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            try:
                upstream.shutdown(socket.SHUT_WR)
            except OSError:
                pass
