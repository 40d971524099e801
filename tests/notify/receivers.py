"""Real receivers on loopback: an HTTP server in a thread, and helpers to build and load projects."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """Records every POST; ``answers`` gives the status of each request in turn (then 200).

    ``hold``: when set, the first request is recorded and then held open until ``release`` is set
    (a receiver that is slow while its sender dies).
    """

    answers: list[int] = field(default_factory=list)
    hold: bool = False
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    got_first: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                    number = len(receiver.received)
                    status = receiver.answers[number - 1] if number <= len(receiver.answers) else 200
                receiver.got_first.set()
                if receiver.hold and number == 1:
                    receiver.release.wait(30)
                    status = 500
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                payload = b"ok" if status < 300 else b"receiver says no"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender is gone (killed)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def keys(self) -> list[str]:
        return [r.headers.get("Idempotency-Key", "") for r in self.received]


def write_project(root: Any, channels_yaml: str, notifications_yaml: str = "", people_yaml: str = "") -> None:
    """An onpace.yml with these channels (indented YAML under ``channels:``)."""
    text = "name: shop\nchannels:\n" + channels_yaml
    if notifications_yaml:
        text += "notifications:\n" + notifications_yaml
    if people_yaml:
        text += "people:\n" + people_yaml
    (root / "onpace.yml").write_text(text, encoding="utf-8")
