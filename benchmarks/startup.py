"""Benchmark: CLI start cost per command, from `python -X importtime` (prints a table; never a test)."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = (
    ("--help",),
    ("--version",),
    ("validate", "examples/listeners/model.yaml"),
    ("validate", "examples/generations/g2a-listeners-mapping.yaml"),
)
WATCHED = ("click", "rich", "yaml", "jsonschema", "jinja2", "httpx", "docker")
RUNS = 7


def _import_profile(args: tuple[str, ...]) -> tuple[float, dict[str, float]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "planoai_cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    per_library: dict[str, float] = {}
    total = 0.0
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if not match:
            continue
        if match.group(4) in WATCHED:  # the library's own line, however deep: its cumulative time
            per_library[match.group(4)] = int(match.group(2)) / 1000
        if len(match.group(3)) == 1:  # top-level imports add up to the total
            total += int(match.group(2))
    return total / 1000, per_library


def _wall(args: tuple[str, ...]) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "planoai_cli", *args], capture_output=True, cwd=REPO, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    header = f"{'command':<58} {'wall ms':>8} {'imports ms':>10}  " + " ".join(f"{w:>10}" for w in WATCHED)
    print(header)
    print("-" * len(header))
    for args in COMMANDS:
        total, per_top = _import_profile(args)
        cells = " ".join(f"{per_top[w]:>10.1f}" if w in per_top else f"{'-':>10}" for w in WATCHED)
        print(f"{'planoai ' + ' '.join(args):<58} {_wall(args):>8.1f} {total:>10.1f}  {cells}")
    print(
        f"\nwall: median of {RUNS} runs; imports: cumulative import time of top-level modules; per library: its "
        "cumulative import time ('-' = not imported)"
    )


if __name__ == "__main__":
    main()
