"""Benchmark: validate + render time in-process, per example and for synthetic configs (prints a table; never a test).

Run: .venv/bin/python benchmarks/render.py [--quick]. The per-provider column should stay flat as the
provider count grows: every stage must be linear in the number of providers.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from planoai_cli.loader import RawConfig, parse
from planoai_cli.pipeline import Validated, validate_raw
from planoai_cli.render import render

REPO = Path(__file__).resolve().parent.parent

SIZES = ((10, 1), (100, 1), (100, 10), (1000, 1), (1000, 50), (5000, 1), (5000, 50))


def synthetic(providers: int, listeners: int) -> str:
    """A valid config: a model listener plus agent listeners, providers on built-in and base_url upstreams."""
    lines = ["version: v0.4.0", "listeners:", "  - {name: model_gateway, type: model, port: 12000, max_retries: 2}"]
    lines += [
        f"  - name: desk {i}\n    type: agent\n    port: {20000 + i}\n    agents:\n"
        f"      - {{id: agent_{i}, description: Agent number {i}.}}"
        for i in range(1, listeners)
    ]
    lines.append("agents:" if listeners > 1 else "agents: []")
    lines += [f"  - {{id: agent_{i}, url: 'http://agents.internal:{30000 + i}'}}" for i in range(1, listeners)]
    lines.append("model_providers:")
    for i in range(providers):
        if i % 4 == 0:  # a self-hosted model: one cluster per host and port
            lines.append(f"  - {{model: 'ollama/model-{i}', base_url: 'http://gpu-{i % 97}.lan:{11000 + i % 7}'}}")
        else:
            prefix = ("openai", "anthropic", "groq")[i % 3]
            default = ", default: true" if i == 1 else ""
            lines.append(f"  - {{model: '{prefix}/model-{i}', access_key: '$KEY_{i % 10}'{default}}}")
    lines.append("model_aliases:")
    lines += [f"  alias-{i}: {{target: 'model-{i}'}}" for i in range(1, providers, 10)]
    lines.append("routing_preferences:")
    lines += [
        f"  - name: task {i}\n    description: Task {i}.\n    models: ['openai/model-{i}', 'model-{i + 3}']"
        for i in range(3, min(providers - 3, 300), 30)
    ]
    return "\n".join(lines) + "\n"


def _median_ms(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _validate(text: str, name: str) -> Validated:
    return validate_raw(RawConfig(Path(name), text, parse(text, name)))


def measure(name: str, text: str, runs: int) -> tuple[float, float, int, int]:
    validated = _validate(text, name)
    validate_ms = _median_ms(lambda: _validate(text, name), runs)
    render_ms = _median_ms(lambda: render(validated.config), runs)
    return validate_ms, render_ms, len(validated.config.providers), len(validated.config.listeners)


def main() -> None:
    quick = "--quick" in sys.argv
    header = (
        f"{'config':<50} {'providers':>9} {'listeners':>9} {'validate ms':>11} {'render ms':>10} "
        f"{'total ms':>9} {'µs/provider':>11}"
    )
    print(header)
    print("-" * len(header))
    examples = sorted((REPO / "examples").rglob("*.yaml"))
    rows = [(str(p.relative_to(REPO)), p.read_text(encoding="utf-8"), 9) for p in examples]
    rows += [
        (f"synthetic {n} providers, {li} listeners", synthetic(n, li), 3 if n >= 1000 else 7)
        for n, li in SIZES
        if not (quick and n >= 1000)
    ]
    for name, text, runs in rows:
        validate_ms, render_ms, providers, listeners = measure(name, text, runs)
        total = validate_ms + render_ms
        print(
            f"{name:<50} {providers:>9} {listeners:>9} {validate_ms:>11.1f} {render_ms:>10.1f} {total:>9.1f} "
            f"{total * 1000 / max(providers, 1):>11.0f}"
        )
    print(
        "\nmedian of 9 runs (examples), 7 (small synthetic) or 3 (1000+ providers); in-process, after one warm-up.\n"
        "validate = parse + schema + migrate + model + checks; render = the pure render of both files."
    )


if __name__ == "__main__":
    main()
