"""Benchmark: `planoai up` to healthy, against a bare `docker run` of the same image to its first 200, and `down`.

Prints a table (one run each, as the issue asks; pass a number to repeat). Not a test: nothing here asserts.
Needs a running Docker engine and the testbed image (docker/testbed/build.sh).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "examples" / "quickstart" / "config.yaml"
IMAGE = "planoai-testbed:latest"
PROJECT = "bench-up"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_200(url: str, deadline: float) -> float:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.monotonic()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)
    raise SystemExit(f"{url} never answered 200")


def _planoai(*args: str, env: dict[str, str]) -> float:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "planoai_cli", *args], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"planoai {args[0]} failed (exit {done.returncode}):\n{done.stderr}")
    return time.monotonic() - start


def _config(folder: Path, port: int) -> Path:
    """The quickstart config on a free listener port, so a running quickstart gateway does not get in the way."""
    path = folder / "config.yaml"
    path.write_text(CONFIG.read_text(encoding="utf-8").replace("port: 12000", f"port: {port}"), encoding="utf-8")
    return path


def bare_run(rendered: Path, env: dict[str, str], listener: int) -> float:
    """`docker run` with the files `planoai up` produced, timed from the command to the first 200 on /healthz."""
    port = _free_port()
    name = f"{PROJECT}-bare"
    start = time.monotonic()
    subprocess.run(["docker", "run", "-d", "--name", name, "--label", "org.planoai.bench=1", "--tmpfs", "/run/plano",
                    "-v", f"{rendered}:/etc/plano/rendered:ro",
                    "-v", f"{REPO / 'supervisord'}:/etc/plano/supervisord:ro",
                    "-e", f"MOCK_PROVIDER_KEY={env['MOCK_PROVIDER_KEY']}", "-e", "PLANO_ENVOY_VARS=$MOCK_PROVIDER_KEY",
                    "-e", "PLANO_CONFIG_VARS=$MOCK_PROVIDER_KEY", "-p", f"127.0.0.1:{port}:{listener}",
                    "--add-host", "host.docker.internal:host-gateway", "--entrypoint", "/usr/local/bin/supervisord",
                    IMAGE, "-n", "-c", "/etc/plano/supervisord/supervisord.conf"], check=True, capture_output=True)
    try:
        return _first_200(f"http://127.0.0.1:{port}/healthz", start + 60) - start
    finally:
        subprocess.run(["docker", "rm", "-f", name], check=False, capture_output=True)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "MOCK_PROVIDER_KEY": "bench", "XDG_STATE_HOME": state, "NO_COLOR": "1"}
        print(f"{'run':>3}  {'planoai up → healthy':>22}  {'docker run → first 200':>24}  {'planoai down':>13}")
        listener = _free_port()
        config = _config(Path(state), listener)
        for run in range(1, runs + 1):
            up = _planoai("up", str(config), "--project-name", PROJECT, "--image", IMAGE, "--pull", "never",
                          "--admin-port", str(_free_port()), env=env)
            down = _planoai("down", "--project-name", PROJECT, env=env)
            bare = bare_run(Path(state) / "planoai" / PROJECT / "rendered", env, listener)
            print(f"{run:>3}  {up:>21.2f}s  {bare:>23.2f}s  {down:>12.2f}s")
    print("\nplanoai up includes validation, rendering, the port preflight and its own health polling; both start\n"
          "supervisord, whose first event-loop tick (about 1 s) precedes spawning Envoy and Brightstaff.")


if __name__ == "__main__":
    main()
