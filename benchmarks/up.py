"""Benchmark: start-up at the physical limit, in one table (prints; never a test: nothing here asserts).

Rows: the floor (a bare `docker run` of the testbed image with Envoy itself as PID 1 and the files `planoai up`
rendered, to its first 200 on /healthz); the product's floor (the same run with `up`'s command, supervisord through
start.sh, to Brightstaff's answer on /v1/models) and docker-py's import, which bound any CLI built on it; `planoai
up` to healthy (the command returns once every listener and Brightstaff answer); `planoai down` of a healthy
gateway; a dead component noticed by `up` (Envoy refuses the config at start: from its last line to `up` exiting)
and by `wait` (Envoy hangs, then is killed: from the kill to `wait` exiting); then `validate`, `render --out` and
`--help` against upstream planoai 0.4.39's whole process, on the largest published config of each side (ours:
examples/ and the init templates; upstream's: its wheel's templates). Upstream validates and renders in one step,
`python -m planoai.config_generator` writing both files, so our validate and our render are each compared with it.

Every row runs --runs times (default 5); each round runs every measurement once, so a ratio's two sides run
side by side. Shown: the median and the spread (min–max), and the load average before and after.

Run: .venv/bin/python benchmarks/up.py [--runs 5] [--upstream DIR] [--only WORD]
Needs a Docker engine, the testbed image (docker/testbed/build.sh) and upstream planoai 0.4.39 in its own venv at
DIR (default benchmarks/.upstream, ignored by git; created with pip when missing, which needs PyPI).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGE = "planoai-testbed:latest"
PROJECT = "bench-up"
UPSTREAM = "planoai==0.4.39"
CONFIG = """\
version: v0.4.0
listeners:
  - name: bench
    type: model
    port: {port}
model_providers:
  - name: mock-gpt
    model: openai/mock-gpt
    base_url: http://localhost:18080
    access_key: $MOCK_PROVIDER_KEY
    default: true
"""
# Envoy refuses this at start (the CA file does not exist), after the container is up: a component that dies.
DYING = CONFIG + "overrides:\n  upstream_tls_ca_path: /nonexistent/ca.pem\ntracing:\n  random_sampling: 0\n"
# Envoy's own command line in the container, as supervisord/component.sh starts it.
ENVOY = [
    "/usr/local/bin/envoy",
    "-c",
    "/etc/plano/rendered/envoy.yaml",
    "--disable-hot-restart",
    "--file-flush-interval-msec",
    "250",
    "--log-level",
    "warning",
]


@dataclass
class Row:
    """One line of the table: its samples, and what its ratio is taken against."""

    name: str
    goal: str = ""
    baseline: Row | None = None
    short: str = ""  # how a ratio against this row names it
    settle: float = 0.0  # seconds to wait first (uncounted): the engine finishing the previous row's cleanup
    samples: list[float] = field(default_factory=list)

    def cells(self) -> str:
        median = statistics.median(self.samples)
        spread = f"{min(self.samples):.3f}–{max(self.samples):.3f}"
        ratio = ""
        if self.baseline is not None:
            ratio = (
                f"{median / statistics.median(self.baseline.samples):.2f}× {self.baseline.short}"
                if self.baseline.samples
                else ""
            )
        return f"{self.name:<50} {median:>7.3f} s  {spread:<13} {ratio:<16} {self.goal}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed(command: list[str], env: dict[str, str], expect: int = 0) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}, not {expect}:\n{done.stderr[-3000:]}")
    return elapsed


class Bench:
    """The environment every command runs in: a private state folder, the mock key, this checkout's CLI."""

    def __init__(self, state: Path, upstream: Path) -> None:
        self.state = state
        self.upstream = upstream
        self.upstream_package = next((upstream / "lib").glob("python3*/site-packages/planoai"))
        self.env = {
            **os.environ,
            "MOCK_PROVIDER_KEY": "bench",
            "XDG_STATE_HOME": str(state),
            "NO_COLOR": "1",
            "OPENAI_API_KEY": "bench",
        }
        script = Path(sys.executable).with_name("planoai")
        self.planoai = [str(script)] if script.exists() else [sys.executable, "-m", "planoai_cli"]
        self.port = _free_port()
        self.config = self._write("config.yaml", CONFIG)
        self.dying = self._write("dying/config.yaml", DYING)

    def _write(self, name: str, template: str) -> Path:
        path = self.state / "configs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(port=self.port), encoding="utf-8")
        return path

    def cli(self, *args: str, expect: int = 0) -> float:
        return _timed([*self.planoai, *args], self.env, expect)

    def up_args(self, config: Path, *extra: str) -> list[str]:
        return [
            "up",
            str(config),
            "--project-name",
            PROJECT,
            "--image",
            IMAGE,
            "--pull",
            "never",
            "--admin-port",
            str(_free_port()),
            *extra,
        ]

    def rendered(self) -> Path:
        return self.state / "planoai" / PROJECT / "rendered"


def _first_200(url: str, deadline: float) -> float:
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.005)
    raise SystemExit(f"{url} never answered 200")


def _run_until_ready(bench: Bench, suffix: str, run: list[str], paths: tuple[str, ...]) -> float:
    """`docker run` of the image with `up`'s rendered files and `run` (options, the image, its command), to the first
    200 on each of `paths` in turn; the container is removed afterwards."""
    port, name = _free_port(), f"{PROJECT}-{suffix}"
    start = time.perf_counter()
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--label",
            "org.planoai.bench=1",
            "-v",
            f"{bench.rendered()}:/etc/plano/rendered:ro",
            "-p",
            f"127.0.0.1:{port}:{bench.port}",
            "--add-host",
            "host.docker.internal:host-gateway",
            *run,
        ],
        check=True,
        capture_output=True,
    )
    try:
        ready = start
        for path in paths:
            ready = _first_200(f"http://127.0.0.1:{port}{path}", start + 60)
        return ready - start
    finally:
        subprocess.run(["docker", "rm", "-f", name], check=False, capture_output=True)


def floor(bench: Bench) -> float:
    """`docker run` of the image with Envoy as PID 1 and the rendered files, to the first 200 on /healthz."""
    return _run_until_ready(bench, "floor", ["--entrypoint", ENVOY[0], IMAGE, *ENVOY[1:]], ("/healthz",))


def supervised_floor(bench: Bench) -> float:
    """The same `docker run` with the product's own command (supervisord through start.sh, Envoy and Brightstaff) and
    `up`'s environment, to the first 200 on /healthz and on Brightstaff's /v1/models: the floor with supervisord,
    which `up` must run."""
    from planoai_cli.contract import BRIGHTSTAFF_READY_PATH
    from planoai_cli.gateway.options import UpOptions
    from planoai_cli.gateway.spec import START, environment
    from planoai_cli.pipeline import prepare

    env = environment(prepare(bench.config).rendered, bench.env, UpOptions())
    options = [
        "-v",
        f"{REPO / 'supervisord'}:/etc/plano/supervisord:ro",
        "--tmpfs",
        "/run/plano:rw,mode=0700",
        *(arg for item in env.items() for arg in ("-e", "=".join(item))),
    ]
    return _run_until_ready(bench, "supervised", [*options, IMAGE, *START], ("/healthz", BRIGHTSTAFF_READY_PATH))


def docker_py_import(bench: Bench) -> float:
    """A Python process that only imports docker-py: what any CLI built on it pays before its first request."""
    return _timed([sys.executable, "-c", "import docker"], bench.env)


def _log_time(stamp: str) -> float:
    # docker logs -t: RFC 3339 with nanoseconds, from the engine's clock (this machine's)
    return datetime.fromisoformat(stamp[:26] + "+00:00").timestamp()


def dead_up(bench: Bench) -> float:
    """Envoy refuses its config at start: from its last line to `up` exiting 9 (the container kept to read it)."""
    bench.cli(*bench.up_args(bench.dying, "--keep-on-failure"), expect=9)
    noticed = time.time()
    logs = subprocess.run(["docker", "logs", "-t", f"plano-{PROJECT}"], capture_output=True, text=True, check=True)
    died = max(
        _log_time(line.split(" ", 1)[0]) for line in (logs.stdout + logs.stderr).splitlines() if " [envoy] " in line
    )
    bench.cli("down", "--project-name", PROJECT)
    return noticed - died


def dead_wait(bench: Bench) -> float:
    """Envoy hangs (SIGSTOP), `wait` watches, Envoy is killed: from the kill to `wait` exiting 9."""
    bench.cli(*bench.up_args(bench.config))
    container = f"plano-{PROJECT}"
    _exec(container, "kill -STOP $(pidof envoy)")
    waiting = subprocess.Popen(
        [*bench.planoai, "wait", "--project-name", PROJECT, "--timeout", "30"],
        env=bench.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # well into its probes, which hang on the stopped Envoy
    killed = float(_exec(container, "kill -KILL $(pidof envoy); date +%s.%N"))
    code = waiting.wait(30)
    noticed = time.time()
    bench.cli("down", "--project-name", PROJECT)
    if code != 9:
        raise SystemExit(f"planoai wait exited {code}, not 9")
    return noticed - killed


def _exec(container: str, script: str) -> str:
    return subprocess.run(
        ["docker", "exec", container, "sh", "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()


def largest_published(upstream_templates: Path) -> list[Path]:
    """Ours (examples/, init templates) and upstream's (its wheel's templates): the largest of each."""
    ours = [*REPO.glob("examples/**/*.yaml"), *REPO.glob("planoai_cli/init/templates/*.yaml")]
    theirs = [p for p in upstream_templates.glob("*.yaml") if p.name != "template_sync_map.yaml"]
    return [max(group, key=lambda p: p.stat().st_size) for group in (ours, theirs) if group]


def upstream_generator(bench: Bench, config: Path) -> float:
    """Upstream's validate and render: its config generator, as its Docker path runs it, in a fresh process."""
    data = bench.upstream_package / "data"
    out = bench.state / "upstream"
    out.mkdir(exist_ok=True)
    env = {
        **bench.env,
        "PLANO_CONFIG_FILE": str(config),
        "PLANO_CONFIG_SCHEMA_FILE": str(data / "plano_config_schema.yaml"),
        "TEMPLATE_ROOT": str(data),
        "ENVOY_CONFIG_TEMPLATE_FILE": "envoy.template.yaml",
        "PLANO_CONFIG_FILE_RENDERED": str(out / "plano_config_rendered.yaml"),
        "ENVOY_CONFIG_FILE_RENDERED": str(out / "envoy.yaml"),
    }
    return _timed([str(bench.upstream / "bin" / "python"), "-m", "planoai.config_generator"], env)


def ensure_upstream(folder: Path) -> Path:
    """Upstream's own venv (never part of this repository): made with pip on first use."""
    if not (folder / "bin" / "planoai").exists():
        print(f"installing {UPSTREAM} into {folder} (its own venv, ignored by git)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "pip"), "install", "-q", UPSTREAM], check=True)
    return folder


def rows(bench: Bench) -> list[tuple[Row, Callable[[], float]]]:
    """Every measurement with its row, in the order a round runs them."""
    floor_row = Row("floor: docker run, Envoy as PID 1 → first 200", short="floor")
    up_row = Row("planoai up → listeners and Brightstaff healthy", "goal ≤ 1.3× floor and ≤ 1.0 s", floor_row)
    out: list[tuple[Row, Callable[[], float]]] = [
        (floor_row, partial(floor, bench)),
        (
            Row("  supervisord floor: docker run, start.sh → ready", "(the product's floor)", floor_row),
            partial(supervised_floor, bench),
        ),
        (Row("  python -c 'import docker'", "(docker-py's import)"), partial(docker_py_import, bench)),
        (up_row, partial(bench.cli, *bench.up_args(bench.config))),
        (Row("planoai down (healthy gateway)", "goal ≤ 0.6 s"), partial(bench.cli, "down", "--project-name", PROJECT)),
        (Row("dead component noticed by up", "goal ≤ 0.5 s"), partial(dead_up, bench)),
        (Row("dead component noticed by wait", "goal ≤ 0.5 s"), partial(dead_wait, bench)),
    ]
    for index, config in enumerate(largest_published(bench.upstream_package / "templates")):
        theirs = Row(f"upstream validate+render {config.name}", short="upstream", settle=0.0 if index else 1.0)
        out.append((theirs, partial(upstream_generator, bench, config)))
        out_dir = str(bench.state / "render" / config.stem)  # both files, as upstream writes them
        for command in (("validate",), ("render", "--out", out_dir)):
            row = Row(f"planoai {command[0]} {config.name}", "goal ≤ 0.5×", theirs)
            out.append((row, partial(bench.cli, *command, str(config))))
    help_row = Row("upstream planoai --help", short="upstream")
    out += [
        (help_row, partial(_timed, [str(bench.upstream / "bin" / "planoai"), "--help"], bench.env)),
        (Row("planoai --help", "goal ≤ 0.3×", help_row), partial(bench.cli, "--help")),
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--upstream", type=Path, default=Path(__file__).resolve().parent / ".upstream")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="WORD",
        help="only the rows whose name contains WORD (repeatable), e.g. --only up --only floor",
    )
    args = parser.parse_args()
    upstream = ensure_upstream(args.upstream.resolve())
    # Installed packages come with byte code; a checkout may lack some, and compiling is not start-up.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "planoai_cli")], check=True)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as state:
        bench = Bench(Path(state), upstream)
        bench.cli(*bench.up_args(bench.config))  # warm-up, and the rendered files the floor mounts
        bench.cli("down", "--project-name", PROJECT)
        measured = [
            (row, measure)
            for row, measure in rows(bench)
            if not args.only or any(word in row.name for word in args.only)
        ]
        for _ in range(args.runs):
            for row, measure in measured:
                time.sleep(row.settle)
                row.samples.append(measure())
    print(f"{'':<50} {'median':>9}  {'min–max':<13} {'ratio':<16} goal")
    for row, _ in measured:
        print(row.cells())
    after = os.getloadavg()
    print(
        f"\n{args.runs} runs of each, one round at a time; load average (1, 5, 15 min) before "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}; "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
