"""A tiny OpenAI-compatible mock provider for the quickstart and the benchmarks (standard library only).

It answers POST /v1/chat/completions with a fixed assistant message that echoes the last user message, and
GET /v1/models; it requires an `Authorization: Bearer <key>` header when --key is given. It is a stand-in for a
real LLM provider, nothing more.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: MockServer

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/v1/models"):
            self._json(200, {"object": "list", "data": [{"id": "mock-gpt", "object": "model", "owned_by": "mock"}]})
        else:
            self._json(404, {"error": {"message": f"no route for GET {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
        if self.server.key and self.headers.get("Authorization") != f"Bearer {self.server.key}":
            self._json(401, {"error": {"message": "missing or wrong API key"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route for POST {self.path}"}})
            return
        self._json(200, completion(body))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"mock provider: {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, key: str | None) -> None:
        super().__init__((host, port), Handler)
        self.key = key


def completion(request: dict[str, Any]) -> dict[str, Any]:
    messages = request.get("messages") or [{}]
    last = str(messages[-1].get("content", ""))
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "model": request.get("model", "mock-gpt"),
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": f"mock provider heard: {last}"},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (the Docker bridge gateway for a gateway in a container)"
    )
    parser.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    parser.add_argument("--key", default=None, help="API key the mock requires as a Bearer token")
    parser.add_argument("--port-file", default=None, help="write the bound port here once listening")
    parser.add_argument(
        "--any-interface",
        action="store_true",
        help="allow --host 0.0.0.0 / :: (reachable from other machines); refused otherwise",
    )
    args = parser.parse_args()
    if args.host in ("", "0.0.0.0", "::") and not args.any_interface:
        parser.error(
            f"--host {args.host!r} binds every interface; give one address (127.0.0.1, the Docker "
            "bridge address), or add --any-interface if that is really meant"
        )
    server = MockServer(args.host, args.port, args.key)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file, "w", encoding="utf-8") as handle:
            handle.write(f"{port}\n")
    sys.stderr.write(f"mock provider listening on {args.host}:{port}\n")
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
