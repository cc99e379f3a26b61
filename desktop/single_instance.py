"""One running Archivist per data folder: a second launch hands its folders to the first and exits.

A local socket named after the user and the data folder; a stale socket left by a crash is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500


def server_name(data_dir: Path) -> str:
    user = os.environ.get("USER") or os.environ.get("USERNAME") or str(os.getuid() if hasattr(os, "getuid") else "")
    digest = hashlib.sha256(f"{user}:{Path(data_dir).resolve()}".encode()).hexdigest()[:16]
    return f"archivist-{digest}"


def hand_over(data_dir: Path, paths: list[str]) -> bool:
    """True when another instance is running (it got our folders and will come to the front)."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(CONNECT_MS):
        return False
    socket.write(json.dumps({"paths": paths}).encode() + b"\n")
    socket.flush()
    socket.waitForBytesWritten(CONNECT_MS)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    activated = Signal(list)  # folders given to a second launch (may be empty): show the window

    def __init__(self, data_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.server = QLocalServer(self)
        name = server_name(data_dir)
        if not self.server.listen(name):
            QLocalServer.removeServer(name)  # left behind by a crash
            self.server.listen(name)
        self.server.newConnection.connect(self._accept)
        self._sockets: list[QLocalSocket] = []

    def _accept(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            self._sockets.append(socket)
            socket.readyRead.connect(self._read)

    def _read(self) -> None:
        # The sender, not a captured socket: a lambda would outlive the socket it names.
        socket = self.sender()
        if not isinstance(socket, QLocalSocket) or not socket.canReadLine():
            return
        try:
            message = json.loads(bytes(socket.readLine()).decode())
            paths = [p for p in message.get("paths", []) if isinstance(p, str)]
        except (ValueError, AttributeError):
            paths = []
        self._forget(socket)
        self.activated.emit(paths)

    def _forget(self, socket: QLocalSocket) -> None:
        if socket in self._sockets:
            self._sockets.remove(socket)
        socket.readyRead.disconnect(self._read)
        socket.abort()
        socket.deleteLater()

    def close(self) -> None:
        for socket in list(self._sockets):
            self._forget(socket)
        self.server.close()
