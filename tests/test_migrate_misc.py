"""Migration of small sections: never-read keys, inert features, tracing, limits, metrics sources, version."""

from __future__ import annotations

import pytest

from planoai_cli.loader import parse
from planoai_cli.migrate import misc
from planoai_cli.tree import plain
from tests.migratehelp import brief, run


def test_mode_and_error_target_are_dropped() -> None:
    out, found = run(misc.never_read_keys, "version: v0.1\nmode: llm\nerror_target:\n  name: e\n")
    assert plain(out) == {"version": "v0.1"}
    assert brief(found) == [
        ("notice", "migrate.mode", "mode", 2),
        ("notice", "migrate.error-target", "error_target", 3),
    ]


def test_guard_handler_keys_are_dropped_and_guards_reported_inert() -> None:
    text = """\
    version: v0.1
    prompt_guards:
      input_guards:
        jailbreak:
          on_exception:
            message: No.
            forward_to_error_target: true
            error_handler: handler
    """
    out, found = run(misc.guard_keys, text)
    assert plain(out) == {
        "version": "v0.1",
        "prompt_guards": {"input_guards": {"jailbreak": {"on_exception": {"message": "No."}}}},
    }
    assert brief(found) == [
        ("notice", "migrate.guard-key", "prompt_guards.input_guards.jailbreak.on_exception.forward_to_error_target", 7),
        ("notice", "migrate.guard-key", "prompt_guards.input_guards.jailbreak.on_exception.error_handler", 8),
        ("warning", "migrate.prompt-guards", "prompt_guards", 2),
    ]
    assert found[2].hint == (
        "to screen requests, declare a filter in `filters` and list it in a listener's `input_filters`"
    )


def test_inert_settings_are_kept_with_a_warning() -> None:
    text = """\
    version: v0.1
    overrides:
      prompt_target_intent_matching_threshold: 0.6
    tracing:
      trace_arch_internal: true
    """
    out, found = run(misc.inert_settings, text)
    assert plain(out)["overrides"] == {"prompt_target_intent_matching_threshold": 0.6}
    assert brief(found) == [
        ("warning", "migrate.inert-key", "overrides.prompt_target_intent_matching_threshold", 3),
        ("warning", "migrate.inert-key", "tracing.trace_arch_internal", 5),
    ]


@pytest.mark.parametrize(("rate", "percent"), [(0.1, 10), (0.005, 0), (1.7, 100), (0.255, 26)])
def test_sampling_rate_becomes_a_sampling_percentage(rate: float, percent: int) -> None:
    out, found = run(misc.tracing_sampling_rate, f"version: v0.1\ntracing:\n  sampling_rate: {rate}\n")
    assert plain(out) == {"version": "v0.1", "tracing": {"random_sampling": percent}}
    assert brief(found) == [("warning", "migrate.sampling-rate", "tracing.sampling_rate", 3)]
    assert f"became `random_sampling: {percent}`" in found[0].message


def test_sampling_rate_next_to_random_sampling_is_dropped() -> None:
    out, found = run(misc.tracing_sampling_rate, "version: v0.1\ntracing: {random_sampling: 5, sampling_rate: 0.5}\n")
    assert plain(out)["tracing"] == {"random_sampling": 5}
    assert brief(found) == [("notice", "migrate.sampling-rate", "tracing.sampling_rate", 2)]


def test_prefixed_ratelimit_models_become_bare_ids() -> None:
    text = """\
    version: v0.4.0
    model_providers:
      - model: openai/gpt-4o
    ratelimits:
      - model: openai/gpt-4o
        selector: {key: x-user, value: alice}
        limit: {tokens: 10, unit: minute}
      - model: gpt-4o
        selector: {key: x-user, value: bob}
        limit: {tokens: 10, unit: minute}
      - model: meta/llama
        selector: {key: x-user, value: carol}
        limit: {tokens: 10, unit: minute}
    """
    out, found = run(misc.ratelimit_models, text)
    assert [r["model"] for r in plain(out)["ratelimits"]] == ["gpt-4o", "gpt-4o", "meta/llama"]
    assert brief(found) == [("warning", "migrate.ratelimit-model", "ratelimits[0].model", 5)]


def test_pre_release_metrics_sources_are_rewritten_or_refused() -> None:
    text = """\
    version: v0.4.0
    model_metrics_sources:
      - type: digitalocean_pricing
        refresh_interval: 600
      - type: prometheus_metrics
        url: http://prom:9090
        query: up
      - type: cost_metrics
        url: http://costs
    """
    out, found = run(misc.metrics_sources, text)
    assert list(plain(out)) == ["version", "model_metrics_sources"]
    assert plain(out)["model_metrics_sources"] == [
        {"type": "cost", "provider": "digitalocean", "refresh_interval": 600},
        {"type": "latency", "provider": "prometheus", "url": "http://prom:9090", "query": "up"},
        {"type": "cost_metrics", "url": "http://costs"},
    ]
    assert brief(found) == [
        ("notice", "migrate.metrics-source", "model_metrics_sources[0].type", 3),
        ("notice", "migrate.metrics-source", "model_metrics_sources[1].type", 5),
        ("error", "migrate.metrics-source", "model_metrics_sources[2].type", 8),
    ]


def test_version_is_set_last_and_reported_only_when_it_changes() -> None:
    out, found = run(misc.set_version, "version: '0.1-beta'\nlisteners: []\n")
    assert plain(out) == {"version": "v0.4.0", "listeners": []}
    assert brief(found) == [("notice", "migrate.version", "version", 1)]
    assert "'0.1-beta' became 'v0.4.0'" in found[0].message
    doc = parse("version: v0.4.0\n", "config.yaml")
    assert misc.set_version(doc) == (doc, [])
