"""`up --with-tracing`: point the config's tracing at planoai's own collector (a pure change, with notices)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planoai_cli.diagnostics import Diagnostic, Severity, at
from planoai_cli.gateway.layout import CONTAINER_HOST
from planoai_cli.model import PlanoConfig, Tracing

if TYPE_CHECKING:
    from planoai_cli.trace.daemon import CollectorState

FULL_SAMPLING = 100


@dataclass(frozen=True)
class Collector:
    """planoai's trace collector as the lifecycle commands show it."""

    pid: int
    grpc: tuple[str, ...]  # host:port addresses
    http: tuple[str, ...]  # OTLP/HTTP URLs
    started: bool = False  # `up` started it just now (False: it was running already)

    @classmethod
    def of(cls, state: CollectorState, *, started: bool = False) -> Collector:
        return cls(state.pid, tuple(state.grpc_addresses()), tuple(state.http_urls()), started)


def running_collector(env: Mapping[str, str]) -> Collector | None:
    """The collector that runs now, if any (reads its state file: no store, no grpc)."""
    from planoai_cli.trace.daemon import read_state

    state = read_state(env)
    return Collector.of(state) if state is not None else None


def collector_endpoint(port: int) -> str:
    """Where the gateway container sends spans: the host, where the collector listens on the bridge address."""
    return f"http://{CONTAINER_HOST}:{port}"


def trace_to_collector(config: PlanoConfig, port: int) -> tuple[PlanoConfig, tuple[Diagnostic, ...]]:
    """The config with its OTLP endpoint set to the collector, and sampling at 100% unless the config chose one."""
    endpoint = collector_endpoint(port)
    current = config.tracing
    if current is None:
        tracing = Tracing(
            tree_path=("tracing",),
            index=config.index,
            random_sampling=FULL_SAMPLING,
            trace_arch_internal=None,
            opentracing_grpc_endpoint=endpoint,
            header_prefixes=None,
            static_attributes=None,
            exporters=None,
        )
        note = _notice(
            config,
            ("tracing",),
            "up.tracing-added",
            f"--with-tracing: every request is traced (random_sampling {FULL_SAMPLING}) and sent to the "
            f"planoai collector ({endpoint}); the config has no tracing section",
        )
        return dataclasses.replace(config, tracing=tracing), (note,)
    notes: list[Diagnostic] = []
    sampling = current.random_sampling
    if sampling is None:
        sampling = FULL_SAMPLING
        notes.append(
            _notice(
                config,
                ("tracing",),
                "up.tracing-sampling",
                f"--with-tracing: random_sampling set to {FULL_SAMPLING} (the config sets none)",
            )
        )
    elif sampling == 0:
        notes.append(
            _warning(
                config,
                ("tracing", "random_sampling"),
                "up.tracing-off",
                "--with-tracing starts the collector, but the config samples 0% of requests, so nothing will be traced",
                hint="set tracing.random_sampling above 0 (e.g. 100), or remove it",
            )
        )
    previous = current.opentracing_grpc_endpoint
    if previous is not None and previous != endpoint:
        notes.append(
            _notice(
                config,
                ("tracing", "opentracing_grpc_endpoint"),
                "up.tracing-endpoint",
                f"--with-tracing: spans go to the planoai collector ({endpoint}) instead of the config's {previous}",
            )
        )
    tracing = dataclasses.replace(current, random_sampling=sampling, opentracing_grpc_endpoint=endpoint)
    return dataclasses.replace(config, tracing=tracing), tuple(notes)


def _notice(config: PlanoConfig, path: tuple[str, ...], code: str, message: str) -> Diagnostic:
    return at(Severity.NOTICE, code, message, config.index.at(path, at_key=True))


def _warning(config: PlanoConfig, path: tuple[str, ...], code: str, message: str, hint: str) -> Diagnostic:
    return at(Severity.WARNING, code, message, config.index.at(path), hint)
