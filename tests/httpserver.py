"""A real HTTP server on 127.0.0.1 with scriptable answers, for health and runtime tests."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = Callable[[BaseHTTPRequestHandler], None]


def status(code: int, body: bytes = b"") -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(code)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def hang(seconds: float) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        status(200)(handler)

    return answer


class _Quiet(ThreadingHTTPServer):
    """A client that gave up (a health probe past its timeout) is what these tests provoke, not an error: without
    this, socketserver prints the BrokenPipe traceback to stderr, where a later test's capture may pick it up."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve(answers: list[Answer], host: str = "127.0.0.1") -> Iterator[tuple[str, list[str]]]:
    """Serve GETs with `answers` in order (the last one repeats); yields (base url, request paths)."""
    seen: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                seen.append(self.path)
                answer = answers[min(len(seen), len(answers)) - 1]
            answer(self)

        def log_message(self, *_args: object) -> None:
            pass

    server = _Quiet((host, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
