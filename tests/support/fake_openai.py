"""A scripted OpenAI-compatible HTTP server for deterministic tests.

Serves ``POST /v1/chat/completions`` and ``GET /v1/models`` on 127.0.0.1 (a free
port) from a background thread. Replies come from a queue of :class:`Scripted` items or
from a function of the request body; every request body is recorded, and the most
requests seen in flight at once is counted.

>>> with FakeOpenAI([Scripted(content='{"atoms": []}')]) as server:
...     server.base_url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAI", "Scripted"]


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: HTTP status, assistant content (or an error message), delay."""

    content: str = ""
    status: int = 200
    delay: float = 0.0


Responder = Callable[[dict[str, Any]], Scripted]


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FakeOpenAI:
    """Scripted chat-completions server.

    Parameters
    ----------
    script : iterable of Scripted, or callable
        A queue consumed one item per request, or a function of the request body.
        An exhausted queue answers 500 with the message ``script exhausted``.
    models : tuple of str
        Model ids listed by ``GET /v1/models``.
    """

    def __init__(
        self, script: Iterable[Scripted] | Responder, models: tuple[str, ...] = ("fake-model",)
    ) -> None:
        self.models = models
        self._responder: Responder | None = script if callable(script) else None
        self._queue: deque[Scripted] = deque([] if callable(script) else script)
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(self, body: dict[str, Any]) -> Scripted:
        with self._lock:
            self.requests.append(body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self._responder is not None:
                return self._responder(body)
            return self._queue.popleft() if self._queue else Scripted("script exhausted", 500)

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (a timeout test): nothing to answer

            def do_GET(self) -> None:
                if self.path != "/v1/models":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                models = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                    for m in fake.models
                ]
                self._send(200, {"object": "list", "data": models})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                item = fake._next(body)
                try:
                    time.sleep(item.delay)
                finally:
                    fake._done()  # before answering, so the count never overlaps the next call
                if item.status == 200:
                    self._send(200, _completion(str(body.get("model")), item.content))
                else:
                    self._send(
                        item.status, {"error": {"message": item.content, "type": "scripted"}}
                    )

        return Handler
