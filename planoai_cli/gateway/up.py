"""`planoai up`: validate, render, resolve keys, start the container, and wait until every listener is healthy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from planoai_cli.errors import ContainerFailed, DockerUnavailable, HealthTimeout, PlanoError
from planoai_cli.gateway.alive import log_excerpt, wait_running, what_happened
from planoai_cli.gateway.layout import LOOPBACK, Endpoint, Layout, is_wildcard
from planoai_cli.gateway.options import Target, UpOptions, dotenv_path
from planoai_cli.gateway.progress import Reporter, Timings
from planoai_cli.gateway.spec import container_spec, layout, port_maps
from planoai_cli.gateway.tracing import Collector, trace_to_collector
from planoai_cli.keys import require, resolve
from planoai_cli.logs import failed_component
from planoai_cli.pipeline import Validated, render_validated, validate
from planoai_cli.project import project_name, state_dir
from planoai_cli.render import write_files
from planoai_cli.resources import data_dir
from planoai_cli.runtime.container import PROJECT, ContainerSpec, Handle
from planoai_cli.runtime.engine import Engine, connect
from planoai_cli.runtime.ports import Binding, check_free


@dataclass(frozen=True)
class Running:
    """A healthy gateway: where it is, what it runs, and how long each phase took."""

    project: str
    container: str
    image: str
    config_file: str
    endpoints: tuple[Endpoint, ...]
    admin_url: str
    replaced: bool
    phases: tuple[tuple[str, float], ...]
    addresses: tuple[str, ...] = (LOOPBACK,)  # host addresses the listener ports are published on
    foreground: bool = False  # logs stream next, and Ctrl-C stops the gateway
    collector: Collector | None = None  # with --with-tracing: the trace collector the gateway sends spans to

    @property
    def bind(self) -> str:
        return self.addresses[0]


def up(
    target: Target,
    options: UpOptions,
    reporter: Reporter,
    on_healthy: Callable[[Running], None] = lambda _running: None,
) -> Running:
    """Start (or replace) the project's gateway and return once it is healthy; nothing is left behind on failure.

    `on_healthy` runs as soon as every listener answers; with `options.foreground` the logs then stream until
    Ctrl-C (or until the gateway exits), and the container is removed.
    """
    timings = Timings()
    with timings.phase(reporter, "validate"):
        validated = validate(target)
    reporter.findings(validated.raw.source, validated.findings)
    _describe_config(validated, reporter)
    config = validated.config
    if options.with_tracing:
        config, notes = trace_to_collector(config, options.tracing_port)
        reporter.findings(validated.raw.source, notes)
    with timings.phase(reporter, "render"):
        prepared = render_validated(validated, config)
    rendered = prepared.rendered
    reporter.findings(validated.raw.source, rendered.notices)
    project = project_name(target.project, validated.raw.path)
    values = _keys(validated, options)
    reporter.detail(f"project {project}; {len(values)} referenced variable(s) found (values never shown)")
    with timings.phase(reporter, "docker"):
        engine = connect(options.environment)
    reporter.detail(f"engine {engine.endpoint.url} ({engine.endpoint.why}), version {engine.version}")
    try:
        with timings.phase(reporter, "image"):
            image = engine.ensure_image(options.image, options.pull, reporter.pull)
        reporter.detail(f"image {options.image} ({image.image_id[:19]}{', pulled' if image.pulled else ''})")
        existing = engine.find(project)
        bridge = _bridge(engine, options, reporter)
        published = layout(rendered, options, bridge if options.publish_bridge else None)
        _check_ports(engine, published, existing)
        collector = _collector(options, bridge, reporter, timings) if options.with_tracing else None
        files_dir = state_dir(project, options.environment) / "rendered"
        write_files(rendered.files(), files_dir)
        reporter.detail(f"rendered files in {files_dir}")
        reporter.detail("publishing " + ", ".join(f"{m.host_ip}:{m.host_port}" for m in port_maps(published)))
        if existing is not None:
            with timings.phase(reporter, "replace"):
                existing.remove(timeout=10)
        spec = container_spec(
            project,
            validated.raw.path,
            rendered,
            config_hash=prepared.config_hash,
            values=values,
            options=options,
            files_dir=files_dir,
            supervisor_dir=data_dir("supervisord"),
            published=published,
        )
        handle = _start_and_wait(engine, spec, published, options, reporter=reporter, timings=timings)
        running = Running(
            project,
            handle.name,
            options.image,
            str(validated.raw.path.resolve()),
            published.endpoints(),
            published.admin_url() or "",
            existing is not None,
            tuple(timings.phases),
            published.addresses,
            options.foreground,
            collector,
        )
        on_healthy(running)
        if options.foreground:
            follow_then_remove(handle, reporter)
        return running
    finally:
        engine.close()


def _describe_config(validated: Validated, reporter: Reporter) -> None:
    config = validated.config
    declared = validated.declared.text if validated.declared is not None else "no version"
    reporter.detail(
        f"{validated.raw.path} ({declared}, read as generation {validated.generation.value}): "
        f"{len(config.listeners)} listener(s), {len(config.providers)} provider(s), "
        f"{len(config.agents)} agent(s)"
    )


def _keys(validated: Validated, options: UpOptions) -> dict[str, str]:
    dotenv = dotenv_path(validated.raw.path)
    keys = resolve(validated.config.secrets, options.environment, dotenv)
    require(keys, dotenv)
    return dict(keys.values)


def _collector(options: UpOptions, bridge: str | None, reporter: Reporter, timings: Timings) -> Collector:
    """Start (or reuse) the collector on loopback and the bridge address, where the container's spans arrive."""
    from planoai_cli.trace.daemon import DEFAULT_GRPC_PORT, DEFAULT_HTTP_PORT, ensure_running

    hosts = (LOOPBACK, bridge) if bridge is not None else (LOOPBACK,)
    # The usual pair is 4317/4318; a custom gRPC port gets OTLP/HTTP on the next one.
    http_port = DEFAULT_HTTP_PORT if options.tracing_port == DEFAULT_GRPC_PORT else options.tracing_port + 1
    with timings.phase(reporter, "collector"):
        state, started = ensure_running(hosts, options.tracing_port, http_port, env=options.environment)
    reporter.detail(f"trace collector pid {state.pid} ({'started' if started else 'reused'}), store {state.db_path}")
    return Collector.of(state, started=started)


def _bridge(engine: Engine, options: UpOptions, reporter: Reporter) -> str | None:
    """The host's Docker bridge address (to publish on, and for the collector), or None with a note saying why."""
    wanted = options.with_tracing or (options.publish_bridge and not is_wildcard(options.bind))
    if not wanted:
        return None
    try:
        found = engine.host_address(probe_image=options.image)
    except DockerUnavailable as e:
        reporter.note(f"listeners published on {options.bind} only: {e.message}")
        return None
    if not found.local:
        # e.g. Docker Desktop: the engine's bridge lives in its VM, and host.docker.internal reaches loopback ports.
        reporter.note(
            f"the engine's bridge address {found.address} is not on this machine; "
            f"listeners published on {options.bind} only"
        )
        return None
    reporter.detail(f"bridge address {found.describe()}")
    return found.address


def _check_ports(engine: Engine, published: Layout, existing: Handle | None) -> None:
    """Every port free before anything starts; ports of the container being replaced do not count."""
    replaced = existing.published_ports() if existing is not None else set()
    wanted = [
        Binding(address, li.port, f"listener {li.name}")
        for li in published.listeners
        for address in published.addresses
    ]
    if published.admin_port is not None:
        wanted.append(Binding(published.bind, published.admin_port, "Envoy admin"))
    holders = {port: _holder(h) for h in engine.handles() if h.state().running for port in h.published_ports()}
    check_free([b for b in wanted if b.port not in replaced], holders)


def _holder(handle: Handle) -> str:
    project = handle.labels.get(PROJECT, "?")
    return f"container {handle.name} (project {project}; planoai down --project-name {project} stops it)"


def _start_and_wait(
    engine: Engine, spec: ContainerSpec, published: Layout, options: UpOptions, *, reporter: Reporter, timings: Timings
) -> Handle:
    """Create, start and wait; on any failure (Ctrl-C included) the new container is removed."""
    handle: Handle | None = None
    try:
        with timings.phase(reporter, "start"):
            handle = engine.create(spec)
            handle.start()
        reporter.detail(
            f"container {handle.name} ({handle.short_id}); waiting for " + ", ".join(p.url for p in published.probes())
        )
        _wait(handle, published, options, reporter, timings)
    except HealthTimeout as e:
        if handle is not None:
            e.message += "\n" + log_excerpt(handle)
        _cleanup(engine, spec, handle, options, e)
        raise
    except PlanoError as e:
        _cleanup(engine, spec, handle, options, e)
        raise
    except KeyboardInterrupt:
        _cleanup(engine, spec, handle, options)
        raise
    return handle


def _wait(handle: Handle, published: Layout, options: UpOptions, reporter: Reporter, timings: Timings) -> None:
    echo = _LogEcho(handle, reporter) if options.verbose else None
    with timings.phase(reporter, "health"):
        wait_running(
            handle,
            published,
            timeout=options.wait_timeout,
            hint=_hint(options),
            before_check=echo.show_new if echo else None,
            on_round=reporter.health,
        )
        if echo is not None:
            echo.show_new()  # the lines of the last round, which ended the wait before its check came


class _LogEcho:
    """`--verbose`: the container's log lines that appeared since the last look, shown before each check.

    Start-up logs are short, so re-reading them each time is cheap and needs no thread or follow stream.
    """

    def __init__(self, handle: Handle, reporter: Reporter) -> None:
        self._handle = handle
        self._reporter = reporter
        self._shown = 0

    def show_new(self) -> None:
        try:
            lines = list(self._handle.log_lines(tail="all"))
        except PlanoError:
            lines = []
        for line in lines[self._shown :]:
            self._reporter.detail(f"| {line}")
        self._shown = max(self._shown, len(lines))


def _hint(options: UpOptions) -> str:
    # A removed container has no logs left, so only point at `planoai logs` when the container stays.
    if options.keep_on_failure:
        return "fix what the log lines above show (planoai logs shows all of them)"
    return "fix what the log lines above show (--keep-on-failure keeps the container for planoai logs)"


def _cleanup(
    engine: Engine, spec: ContainerSpec, handle: Handle | None, options: UpOptions, error: PlanoError | None = None
) -> None:
    # Interrupted while the create request was in flight, the handle may be missing: find it by label.
    target = handle or engine.find(spec.labels[PROJECT])
    if target is None:
        return
    if options.keep_on_failure:
        if error is not None:
            error.message += f"\nthe container {target.name} was kept for inspection (planoai logs, planoai down)"
        return
    try:
        target.remove(timeout=2)
    except PlanoError:
        return  # the original failure matters more than a failed cleanup
    if error is not None:
        error.message += f"\nthe container {target.name} was removed (--keep-on-failure keeps it)"


def follow_then_remove(handle: Handle, reporter: Reporter) -> None:
    """`--foreground`: stream the gateway's output until Ctrl-C (or until it exits), then remove it.

    A gateway that stops by itself is a failure (ContainerFailed, naming the component), not a clean exit.
    """
    try:
        for line in handle.log_lines(tail=0, follow=True):
            reporter.log_line(line)
    except KeyboardInterrupt:
        handle.remove(timeout=10)
        return  # the way to stop a foreground gateway; removal is the expected outcome
    try:
        state = handle.state()
        if state.running:
            return  # the engine closed the stream while the gateway ran: it ends with the command, as usual
        component = failed_component(list(handle.log_lines(tail=400)))  # read to the end: closes the stream
    finally:
        handle.remove(timeout=10)
    raise ContainerFailed(what_happened(state, component), hint="the log lines above show why")
