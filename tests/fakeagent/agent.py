"""A stand-in for Claude Code and Codex: records its environment and arguments, can call the gateway, exits on cue.

Run through the `claude` / `codex` wrappers next to it (first on PATH in the tests):

    FAKEAGENT_RECORD   file to write {"agent", "argv", "env", "request"} to, as JSON (required)
    FAKEAGENT_EXIT     exit code to end with (default 0)
    FAKEAGENT_SIGNAL   when set: end by sending itself this signal number instead
    FAKEAGENT_REQUEST  when set: claude sends GET $ANTHROPIC_BASE_URL/v1/models, codex sends
                       POST $OPENAI_BASE_URL/chat/completions with the model from its `-c model=...` argument;
                       the status and body are recorded under "request"
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any


def call(agent: str, argv: list[str]) -> dict[str, Any]:
    if agent == "claude":
        url = os.environ["ANTHROPIC_BASE_URL"] + "/v1/models"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {os.environ['ANTHROPIC_AUTH_TOKEN']}"})
    else:
        model = next(a.split("=", 1)[1].strip('"') for a in argv if a.startswith("model="))
        body = {"model": model, "messages": [{"role": "user", "content": "hi from the fake codex"}]}
        url = os.environ["OPENAI_BASE_URL"] + "/chat/completions"
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"},
        )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to the gateway
    try:
        with opener.open(request, timeout=15) as response:
            return {"url": url, "status": response.status, "body": json.loads(response.read())}
    except urllib.error.HTTPError as e:
        return {"url": url, "status": e.code, "body": e.read().decode("utf-8", "replace")}


def main() -> int:
    agent, argv = sys.argv[1], sys.argv[2:]
    record: dict[str, Any] = {"agent": agent, "argv": argv, "env": dict(os.environ), "request": None}
    if os.environ.get("FAKEAGENT_REQUEST"):
        record["request"] = call(agent, argv)
    with open(os.environ["FAKEAGENT_RECORD"], "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    if os.environ.get("FAKEAGENT_SIGNAL"):
        os.kill(os.getpid(), int(os.environ["FAKEAGENT_SIGNAL"]))
    return int(os.environ.get("FAKEAGENT_EXIT", "0"))


if __name__ == "__main__":
    sys.exit(main())
